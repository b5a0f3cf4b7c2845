"""The baseline: a Flet chat written the textbook way, served like Confab, for the benchmark.

It follows Flet's own realtime-chat tutorial, ported to Flet 1.0: a name
dialog, an async pubsub handler that appends a row to a ListView and calls
page.update() for every message, nothing stored. Its bot streams an
OpenAI-compatible reply the textbook way too: one pubsub message and one
page.update() per token. Field labels match Confab's so one driver runs both.

    python -m bench.textbook --port 8551
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
from dataclasses import dataclass

import flet as ft

AVATAR_COLORS = [
    ft.Colors.AMBER, ft.Colors.BLUE, ft.Colors.BROWN, ft.Colors.CYAN, ft.Colors.GREEN,
    ft.Colors.INDIGO, ft.Colors.LIME, ft.Colors.ORANGE, ft.Colors.PINK, ft.Colors.PURPLE,
    ft.Colors.RED, ft.Colors.TEAL, ft.Colors.YELLOW,
]
BOT_NAME = "bot"
_reply_ids = itertools.count(1)


@dataclass
class Message:
    user_name: str
    text: str
    message_type: str
    reply_id: int = 0


class ChatMessage(ft.Row):
    def __init__(self, message: Message):
        super().__init__()
        self.vertical_alignment = ft.CrossAxisAlignment.START
        self.body = ft.Text(message.text, selectable=True)
        self.controls = [
            ft.CircleAvatar(
                content=ft.Text(message.user_name[:1].capitalize()),
                color=ft.Colors.WHITE,
                bgcolor=AVATAR_COLORS[hash(message.user_name) % len(AVATAR_COLORS)],
            ),
            ft.Column(
                [ft.Text(message.user_name, weight=ft.FontWeight.BOLD), self.body],
                tight=True,
                spacing=5,
            ),
        ]


async def main(page: ft.Page) -> None:
    page.horizontal_alignment = ft.CrossAxisAlignment.STRETCH
    page.title = "Flet Chat"
    replies: dict[int, ChatMessage] = {}

    async def join_chat_click(e) -> None:
        if not join_user_name.value:
            join_user_name.error = "Name cannot be blank!"
            join_user_name.update()
            return
        page.session.store.set("user_name", join_user_name.value)
        page.pop_dialog()
        page.pubsub.send_all(
            Message(join_user_name.value, f"{join_user_name.value} has joined the chat.", "login_message")
        )
        page.update()

    async def send_message_click(e) -> None:
        if new_message.value:
            text = new_message.value
            page.pubsub.send_all(Message(page.session.store.get("user_name"), text, "chat_message"))
            new_message.value = ""
            await new_message.focus()
            page.update()
            if f"@{BOT_NAME}" in text:
                asyncio.create_task(stream_bot_reply(page, text))

    async def on_message(message: Message) -> None:
        if message.message_type == "chat_message":
            m = ChatMessage(message)
        elif message.message_type == "bot_update":
            row = replies.get(message.reply_id)
            if row is None:
                row = replies[message.reply_id] = ChatMessage(message)
                chat.controls.append(row)
            row.body.value = message.text
            page.update()
            return
        else:
            m = ft.Text(message.text, italic=True, color=ft.Colors.ON_SURFACE_VARIANT, size=12)
        chat.controls.append(m)
        page.update()

    page.pubsub.subscribe(on_message)

    join_user_name = ft.TextField(label="Your name", autofocus=True, on_submit=join_chat_click)
    page.show_dialog(
        ft.AlertDialog(
            open=True,
            modal=True,
            title=ft.Text("Welcome!"),
            content=ft.Column([join_user_name], width=300, height=70, tight=True),
            actions=[ft.Button("Join chat", on_click=join_chat_click)],
            actions_alignment=ft.MainAxisAlignment.END,
        )
    )
    chat = ft.ListView(expand=True, spacing=10, auto_scroll=True)
    new_message = ft.TextField(
        hint_text="Write a message...",
        autofocus=True,
        shift_enter=True,
        min_lines=1,
        max_lines=5,
        filled=True,
        expand=True,
        on_submit=send_message_click,
    )
    page.add(
        ft.Container(
            content=chat,
            border=ft.Border.all(1, ft.Colors.OUTLINE),
            border_radius=5,
            padding=10,
            expand=True,
        ),
        ft.Row(
            [
                new_message,
                ft.IconButton(icon=ft.Icons.SEND_ROUNDED, tooltip="Send message", on_click=send_message_click),
            ]
        ),
    )


async def stream_bot_reply(page: ft.Page, question: str) -> None:
    """The textbook bot: stream from an OpenAI-compatible server, one broadcast per token."""
    import openai

    client = openai.AsyncOpenAI(
        base_url=os.environ.get("OPENAI_BASE_URL"), api_key=os.environ.get("OPENAI_API_KEY", "none")
    )
    reply_id, text = next(_reply_ids), ""
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], stream=True
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
            page.pubsub.send_all(Message(BOT_NAME, text, "bot_update", reply_id))


def serve(port: int) -> None:
    """Serve with the same uvicorn settings as Confab's main.py."""
    import uvicorn
    import flet_web.fastapi as flet_fastapi

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        flet_fastapi.app(main, no_cdn=True),
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        log_level="info",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHAT_PORT", 8551)))
    serve(parser.parse_args().port)
