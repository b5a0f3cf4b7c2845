"""Flet controls for the chat room; they talk to ChatService and domain types only."""
