"""Confab: a realtime chat room with an AI participant, built on Flet."""
