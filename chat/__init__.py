"""Confab: a realtime chat room with an AI participant, built on Flet."""

__version__ = "0.1.0"
