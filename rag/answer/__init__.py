"""Answers with verified citations: the record, the extractive and the generative answerers."""

from rag.answer.record import Answer, AnswerEvent, AnswerSentence, Citation, Source, SourcesEvent, TextEvent

__all__ = ["Answer", "AnswerEvent", "AnswerSentence", "Citation", "Source", "SourcesEvent", "TextEvent"]
