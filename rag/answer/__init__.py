"""Question -> verified answer: retrieve, follow-ups, evidence and the refusal gate, the
extractive and generative answerers, and the citation verifier.

Reading order follows the data: ``conversation`` -> ``retrieve`` -> ``evidence`` ->
``extractive`` | ``generative`` -> ``citations`` -> ``compose`` -> ``record``.
"""

from rag.answer.record import Answer, AnswerEvent, AnswerSentence, Citation, Source, SourcesEvent, TextEvent
from rag.answer.retrieve import Filters, Hit, Retriever

__all__ = ["Answer", "AnswerEvent", "AnswerSentence", "Citation", "Filters", "Hit", "Retriever", "Source",
           "SourcesEvent", "TextEvent"]
