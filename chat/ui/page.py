"""ChatPage: one browser tab's view of one room, wired to the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import tzinfo

import flet as ft

from chat.api_access import ApiAccess
from chat.attachments import Attachment
from chat.domain import (
    CatchUpShown,
    Message,
    MessageChanged,
    MessageKind,
    MessagePosted,
    OnlineChanged,
    PersonMuted,
    ReactionsChanged,
    RepliesCounted,
    RoomEvent,
    RoomLockChanged,
    TypingChanged,
)
from chat.events import EventRoutes
from chat.feed import RoomFeed
from chat.flet_internals import room_topic
from chat.people import Entry, PeopleService
from chat.person import Person
from chat.rules import Rejected
from chat.service import ChatService
from chat.ui.api_dialog import ApiDialog, page_origin
from chat.ui.attach import AttachFiles
from chat.ui.broadcast import scroll_to_end_in, scroll_to_key_in
from chat.ui.composer import Composer
from chat.ui.follow import FollowLatest
from chat.ui.join_dialog import JoinDialog
from chat.ui.jump import Jump
from chat.ui.look import is_safe_link
from chat.ui.markdown_safety import mentions
from chat.ui.memory import BrowserMemory
from chat.ui.message_body import CODE_FONT, CODE_FONT_FILE
from chat.ui.message_list import MessageList
from chat.ui.message_row import ChatMessage
from chat.ui.moderation_commands import AuditDialog, ModerationCommands
from chat.ui.moderation_menu import moderation_menu
from chat.ui.outage_copy import OUTAGE_KEY, CopyView, OutageCopy, conversation_copy
from chat.ui.own_message import MessageEditing
from chat.ui.password_dialog import PasswordDialog
from chat.ui.picture_dialog import FileDialog, file_url
from chat.ui.posting_notice import PostingNotice
from chat.ui.presence_panel import PresencePanel
from chat.ui.room_chrome import RoomChrome
from chat.ui.shared_view import SharedConversation, shared_view
from chat.ui.tab_catch_up import TabCatchUp
from chat.ui.tab_gone import unless_tab_gone
from chat.ui.tab_reactions import TabReactions
from chat.ui.tab_replies import ReplyHooks, TabReplies
from chat.ui.typing_line import TypingLine
from chat.ui.unread_divider import DIVIDER_KEY, first_unread
from chat.ui.unread_title import UnreadTitle

log = logging.getLogger(__name__)

USER_KEY = "user"
DEVICE_KEY = "device"
"""BrowserMemory key of the secret device token that lets this browser in as its person."""
PASSWORD_COMMAND = "/password"
API_COMMAND = "/api"
"""Opens the dialog of API tokens and the room's webhooks (as the app bar's key button does)."""
API_BUTTON_NAME = "API tokens and webhooks"
TITLE_KEY = "title"
"""BrowserMemory key whose writes index.html shows as the tab's title."""
BANNED_NOTICE = "You were banned: you can no longer post here."
LEAVE_GRACE_SECONDS = 3.0
"""A dropped connection that comes back this fast does not leave and rejoin."""
FLUSH_INTERVAL = 0.025
"""At most one update per tab per this many seconds: under load, what arrives meanwhile goes as one."""
READ_ROWS_ABOVE_DIVIDER = 10
"""Rows already read kept above "New messages" when a tab gets its own conversation for it."""
ReadBefore = Callable[[str], Awaitable[int | None]]
"""`read_before(person_id)`: how far that person had read this room before this tab entered it
(None: never opened), from the position the server keeps."""
OWN_VIEW_START_ROWS = 50
"""Rows a tab's own conversation starts with (the newest); it costs a row each, and the
moment is when its person sends a first message. Older ones page in on demand."""


class ChatPage:
    """Builds the page, renders room events, and hands what the person does to the service.

    Every handler is async: Flet runs sync handlers on a thread pool, where
    concurrent updates race inside its diff and get lost.

    A tab starts by showing the conversation shared by every tab in its time
    zone (rendered once for all, see shared_view). It gets a conversation of
    its own when its person writes (own messages are styled in this tab
    only) or pages back through history.
    """

    def __init__(
        self,
        page: ft.Page,
        service: ChatService,
        people: PeopleService,
        room: str,
        title: str,
        tz: tzinfo,
        rooms: tuple[ft.Control, ft.Control],
        invite: str | None = None,
        api: ApiAccess | None = None,
        on_entered: Callable[[], Awaitable[object]] | None = None,
        read_before: ReadBefore | None = None,
    ):
        """`title` names the room on screen; `rooms`: the list of rooms twice (sidebar and drawer).

        `invite`: the token of an invite link (/?invite=...), which CHAT_SIGNUP=invite asks for.
        `api`: the person's API tokens and the room's webhooks, offered once they joined.
        `on_entered`: told when the tab has joined as its person.
        `read_before`: where its person had read up to, for the "New messages" divider.
        """
        self.page = page
        self.service = service
        self.people = people
        self.settings = service.settings
        self.session_id = page.session.id
        self.room = room
        self.feed = RoomFeed()
        self.name: str | None = None
        self.person: Person | None = None
        """Who this tab joined as: kept when the tab switches rooms."""
        self._tz = tz
        self._invite = invite
        self._on_entered = on_entered
        self._read_before = read_before
        self.divider_seq: int | None = None
        """The message "New messages" sits above (the first unread when the tab entered)."""
        self._online: tuple[str, ...] | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._leave_task: asyncio.Task | None = None
        handles = [bot.handle for bot in self.settings.roster]
        self.catch_up = TabCatchUp(page, service, room, self.session_id, handles, self.show_message)
        """What a bot says this person missed: in this person's tabs only."""
        self._routes = EventRoutes[None](
            {
                MessagePosted: self._on_message,
                MessageChanged: self._on_message,
                ReactionsChanged: self._on_reactions,
                RepliesCounted: self._on_replies_counted,
                OnlineChanged: self._on_online,
                RoomLockChanged: self._on_lock_changed,
                PersonMuted: self._on_muted,
                TypingChanged: self._on_typing,
                CatchUpShown: self.catch_up.shown,
            }
        )
        self.moderates = False
        """True when this tab's person may moderate this room."""
        self.offers_delete = False
        """True while a moderator asked for Delete on every row (their tab renders its own)."""
        self.moderation = ModerationCommands(service, room, lambda: self.person_id)
        self.editing = MessageEditing(
            service.edits, room, lambda: self.person_id, page.show_dialog, tz
        )
        """Edit and Delete on this person's own messages; earlier versions for a moderator."""
        self.reactions = TabReactions(page, service, room, self.session_id)
        self._url_launcher = ft.UrlLauncher()
        self._clipboard = ft.Clipboard()
        self.memory = BrowserMemory()
        self.outage_copy = OutageCopy(
            lambda copy: self.memory.set_quietly(OUTAGE_KEY, copy), self._conversation_copy
        )

        self.shared_room = shared_view(page, service).room(self.room)
        self.shared: SharedConversation | None = None
        """The conversation this tab shows with others, until it needs its own."""
        self.private: MessageList | None = None
        """This tab's own conversation, once it has one."""
        self.follow = FollowLatest(self._scroll_to_end)
        self.conversation = self.follow.holder
        """Holds the conversation this tab shows (shared or its own)."""
        self._follow_changed = False
        self.unread = UnreadTitle()
        self._title_changed = False
        self._title_write: asyncio.Future | None = None
        self._scrolling: asyncio.Task | None = None
        self.presence: PresencePanel = PresencePanel()
        """Nobody's names until the tab joins; then the room's shared panel."""
        self.composer = Composer(
            self._send,
            on_draft=self.memory.save_draft_soon,
            on_keystroke=self._typed,
            max_chars=self.settings.max_message_chars,
        )
        self.attach = AttachFiles(page, service, room, lambda: self.person_id, self._post_file)
        """The paper-clip button and pasted images: files sent as messages."""
        self.composer.field.on_paste_files = self.attach.pasted
        self.typing_line = TypingLine()
        """Who else is typing here, just above the composer."""
        self._typing_changed = False
        self.notice = PostingNotice(self.composer)
        """Says under the composer that the room is locked, or that this person is muted."""
        self.chrome = RoomChrome(page, title, self.presence, self.memory, rooms)
        hooks = ReplyHooks(
            self._thread_row,
            self._post_in_thread,
            self.show_message,
            self._shown_name,
            self.composer.focus,
        )
        self.replies = TabReplies(page, service, room, self.session_id, self.chrome, hooks)
        """The reply being written here, and the thread shown."""
        self.api = api
        self.api_button = ft.IconButton(
            # The icon's label names the button for screen readers; the tooltip shows on hover.
            icon=ft.Icon(ft.Icons.KEY, semantics_label=API_BUTTON_NAME),
            tooltip=API_BUTTON_NAME,
            visible=False,
            on_click=self._api_button_clicked,
        )
        self.chrome.add_action(self.api_button)
        self.join_dialog = JoinDialog(
            self._join,
            self._sign_in,
            self._joined_dialog_closed,
            self.settings.max_name_chars,
            self.settings.roster[0].handle,  # the first bot; its /help names the others
        )

    @property
    def person_id(self) -> str | None:
        """The id of the person this tab joined as."""
        return self.person.id if self.person is not None else None

    async def start(self, person: Person | None = None) -> None:
        """Lay out the page, subscribe, show the backlog and join as `person` (or ask who)."""
        page = self.page
        page.title = self.unread.title()
        page.on_app_lifecycle_state_change = self._on_lifecycle
        page.padding = 0
        if not page.fonts:  # once per tab: sent again (a room switch), the client re-lays its text
            page.fonts = {
                CODE_FONT: CODE_FONT_FILE
            }  # code blocks: a monospace font served from here
        page.on_disconnect = self._on_disconnect
        page.on_connect = self._on_connect
        page.on_close = self._on_close
        # The room's messages and people come once the tab has joined (_show_room):
        # behind the join dialog there is nothing to read.
        page.add(
            self.chrome.layout(
                self.follow.view,
                ft.Container(
                    ft.Column(
                        [self.catch_up.panel, self.typing_line, self.replies.bar, self.composer],
                        spacing=2,
                        tight=True,
                    ),
                    padding=ft.Padding.only(left=8, top=2, right=8, bottom=8),
                ),
            )
        )
        if person is None:
            page.show_dialog(self.join_dialog)
        await self.chrome.restore_theme()
        if person is None:
            await self._identify_browser()
        await self._rejoin_remembered(person)
        self.notice.lock_changed((await self.service.moderation.standing(self.room, None)).locked)
        await self.outage_copy.write_now()  # also tells index.html the room is shown again

    async def _identify_browser(self) -> None:
        # Limits follow the browser, not the session: a reload or a new name is the same person.
        await self.service.identify(self.session_id, await self.memory.browser_id())

    async def _rejoin_remembered(self, person: Person | None) -> None:
        # A browser that was here before (the server restarted, or the tab was
        # reloaded) comes back as its person, with its unsent text; from another room
        # of this tab, as the person it was there. Its name alone lets nobody in:
        # only the device token the person's browser keeps.
        moving = person is not None
        token = await self.memory.get(DEVICE_KEY) if person is None else None
        try:
            if person is None and token is not None:
                person = await self.people.resume(token)
                if person is None:
                    await self.memory.set(DEVICE_KEY, None)  # revoked or expired: forget it
            if person is not None:
                await self._enter(person, moving)
        except Rejected as refusal:
            self.join_dialog.name_field.error = str(refusal)
            if self.join_dialog.open:
                self.join_dialog.update()
            else:
                self.page.show_dialog(self.join_dialog)
        remembered = await self.memory.get("name")
        if self.name is None and remembered is not None:  # offered, to claim or sign in to
            self.join_dialog.name_field.value = remembered
            self.join_dialog.update()
        draft = await self.memory.get("draft")
        if draft is not None:
            self.composer.restore(draft)

    # ---- what the person does

    async def _join(self, raw_name: str) -> None:
        await self._let_in(await self.people.claim(raw_name, invite=self._invite))

    async def _sign_in(self, raw_name: str, password: str) -> None:
        await self._let_in(await self.people.sign_in(raw_name, password, self.page.client_ip or ""))

    async def _let_in(self, entry: Entry) -> None:
        # Kept before joining: a refusal to join now must not lose the person.
        await self.memory.set(DEVICE_KEY, entry.device_token)
        await self._enter(entry.person)

    async def _enter(self, person: Person, moving: bool = False) -> None:
        self.name = await self.service.join(
            self.room, self.session_id, person.name, person.id, moving=moving
        )
        self.person = person
        self.catch_up.listen(person.id, self._on_personal)  # what is shown to them alone
        await self._show_room()
        self.page.session.store.set(USER_KEY, self.name)
        await self.memory.set("name", self.name)
        self.page.pop_dialog()
        self.api_button.visible = self.api is not None
        self.chrome.set_user(self.name)  # updates the app bar, the API button with it
        self.moderates = await self.service.moderation.may_moderate(self.room, person.id)
        standing = await self.service.moderation.standing(self.room, person.id)
        self.notice.show(standing.locked, standing.muted_until)
        if self.moderates:
            admin = await self.service.moderation.is_admin(person.id)
            # Beside the composer, not in the app bar: a phone's bar has no room for it.
            self.composer.add_tool(
                moderation_menu(
                    self.moderation, self.page.show_dialog, admin, self.toggle_delete_buttons
                )
            )
        # Own messages written before (a rejoin) look like own, and a reply this person
        # asked for gets its Stop button: both need rows of this tab's own.
        if self.shared is not None:
            if any(
                self._is_own(m)
                or self._may_stop(m)
                or self._mentions_me(m)
                or m.reactions.by(self.person_id)
                for m in self.shared.messages()
            ):
                self._go_private()
        elif self.private is not None:
            for row in list(self.private.rows.values()):
                if (
                    (self._is_own(row.message) and not row.own)
                    or self._may_stop_now(row)
                    or row.viewer != self.name
                    or row.viewer_id != self.person_id
                ):
                    self.private.replace(row, self._row(row.message, row.grouped, row.starts_day))
        self._flush()
        if self.service.files is not None:
            self.composer.add_tool(self.attach.button)
        self.composer.enable()
        if self._on_entered is not None:
            await self._on_entered()

    async def _show_room(self) -> None:
        """Show the room's conversation and who is in it, now that the tab has joined."""
        if self.shared is not None or self.private is not None:
            return  # shown already (joined again)
        page = self.page
        # Before reading the backlog, so nothing slips between; this room's events only.
        page.pubsub.subscribe_topic(room_topic(self.room), self._on_event)
        shared = self.shared = await self.shared_room.conversation(self._tz)
        self.conversation.controls = [shared.list.root]
        self.presence = self.shared_room.presence
        self.chrome.show_presence(self.presence)
        # What goes out holds the shared views: from then on their changes come here too.
        shared.show_in(self, page, lambda: page.update(self.conversation, self.chrome.side))
        self.shared_room.everyone.add(page)
        self._append_events(self.feed.backlog_read(shared.messages()))
        self._on_online(OnlineChanged(self.room, self.service.online(self.room)))
        self._on_typing(TypingChanged(self.room, self.service.typers(self.room)))
        await self._show_new_messages(shared.messages())

    async def _show_new_messages(self, messages: list[Message]) -> None:
        """Put "New messages" above the first message its person had not read, and go there."""
        person = self.person
        if self._read_before is None or person is None:
            return
        self.catch_up.read_to = await self._read_before(person.id)  # where a catch-up starts
        if self.private is not None:
            return
        first = first_unread(messages, self.catch_up.read_to, person.id)
        if first is None:
            return
        self.divider_seq = first.seq  # a row of this tab's own: the shared rows have no divider
        self._go_private(keep_from=first.seq)
        if self._scrolling is None or self._scrolling.done():
            self._scrolling = asyncio.create_task(self._scroll_to_divider())

    async def _joined_dialog_closed(self, e: ft.Event) -> None:
        if self.name is not None:
            self.composer.focus()  # the cursor waits where the person will write

    async def _typed(self) -> None:
        if self.name is not None:
            self.service.typing_in(self.room, self.session_id)

    async def _send(self, text: str, client_id: str) -> None:
        if self.name is None:
            raise Rejected("Join the room first.")
        self.service.stop_typing(self.room, self.session_id)
        if text.strip() == PASSWORD_COMMAND:
            self.page.show_dialog(PasswordDialog(self.name, self._set_password))
            return
        if text.strip() == API_COMMAND:
            await self._open_api()
            return
        if await self.catch_up.asked_in(text):  # asked of the bot, answered to this person alone
            await self.memory.forget_draft()
            return
        if self.moderation.handles(text):
            done = await self.moderation.run(text)  # Rejected: shown under the field, text kept
            self.page.show_dialog(
                AuditDialog(done) if isinstance(done, list) else ft.SnackBar(ft.Text(done))
            )
            await self.memory.forget_draft()
            return
        self._go_private()  # this tab styles its own messages as its own
        replying = self.replies.target
        if replying is not None:
            # The bar goes before the reply arrives: the list's height changes once, not while
            # the new row comes (which left the row below the view now and then in Chromium).
            self.replies.cancel()
        try:
            await self.service.post_message(
                self.room,
                self.session_id,
                self.name,
                text,
                client_id,
                reply_to=replying.id if replying is not None else None,
                asker_zone=self._zone_for_bots(text),
            )
        except Rejected:
            if replying is not None and self.replies.target is None:
                self.replies.start(replying, self._shown_name(replying))  # kept, as the text is
            raise
        self._bring_latest_into_view()  # your own message is always in view once sent
        await self.memory.forget_draft()

    async def _post_in_thread(self, text: str, client_id: str, reply_to: str) -> None:
        if self.name is None:
            raise Rejected("Join the room first.")
        self.service.stop_typing(self.room, self.session_id)
        self._go_private()  # this tab styles its own messages as its own
        await self.service.post_message(
            self.room,
            self.session_id,
            self.name,
            text,
            client_id,
            reply_to=reply_to,
            asker_zone=self._zone_for_bots(text),
        )

    def _zone_for_bots(self, text: str) -> tzinfo | None:
        # A bot reads "since 9:00" in the asker's zone; a message to no bot keeps no zone.
        asks_a_bot = any(mentions(text, bot.handle) for bot in self.settings.roster)
        return self._tz if asks_a_bot else None

    async def _set_password(self, password: str) -> None:
        if self.person_id is None:
            raise Rejected("Join the room first.")
        await self.people.set_password(self.person_id, password)
        self.page.pop_dialog()
        self.page.show_dialog(
            ft.SnackBar(ft.Text("Password set: sign in with it from any other browser."))
        )

    async def _api_button_clicked(self, e: ft.Event) -> None:
        try:
            await self._open_api()
        except Rejected as refusal:  # the database is not answering: say so
            self.page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))

    async def _open_api(self) -> None:
        if self.person is None or self.api is None:
            raise Rejected("Join the room first.")
        dialog = ApiDialog(
            self.api, self.person, self.room, page_origin(self.page.url), self._clipboard.set
        )
        await dialog.refresh()
        self.page.show_dialog(dialog)

    async def _stop_reply(self, message: Message, page: ft.Page | None = None) -> None:
        try:
            await self.service.request_stop(self.room, message.id, self.session_id)
        except Rejected as refusal:  # the button is only offered to who may press it
            self.page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))

    async def _delete_message(self, message: Message, page: ft.Page | None = None) -> None:
        try:
            await self.service.moderation.delete_message(self.room, message.id, self.person_id)
        except Rejected as refusal:  # the button is only offered to who may press it
            self.page.show_dialog(ft.SnackBar(ft.Text(str(refusal))))

    async def react(self, message: Message, emoji: str | None, page: ft.Page | None = None) -> None:
        """Toggle this person's `emoji` on `message`, or open the picker (None)."""
        if emoji is None:
            self.reactions.open_picker(message)
            return
        self._go_private()  # this tab marks its person's own reactions
        await self.reactions.toggle(message, emoji)

    async def toggle_delete_buttons(self) -> None:
        """Show Delete on every row (a moderator's tab then renders its own), or hide it again."""
        self.offers_delete = self.moderates and not self.offers_delete
        if self.private is None:
            self._go_private()  # its rows are built with the buttons already
        else:
            for row in list(self.private.rows.values()):
                self.private.replace(row, self._row(row.message, row.grouped, row.starts_day))
        self._flush()

    async def cut_off(self, reason: str) -> None:
        """End this tab's session for good (its person was banned): out of the room, and told why."""
        self.composer.shut(BANNED_NOTICE)
        await self.memory.set(DEVICE_KEY, None)
        await self.leave_room()
        self.name = None
        self.page.show_dialog(
            ft.AlertDialog(modal=True, title=ft.Text("You were banned"), content=ft.Text(reason))
        )

    async def open_link(self, url: str, page: ft.Page | None = None) -> None:
        if is_safe_link(url):
            await self._url_launcher.launch_url(url)

    async def copy_text(self, text: str, page: ft.Page | None = None) -> None:
        await self._clipboard.set(text)

    async def show_image(self, src: str, page: ft.Page | None = None) -> None:
        self.page.show_dialog(
            ft.AlertDialog(
                content=ft.Image(src=src, fit=ft.BoxFit.CONTAIN),
                actions=[ft.TextButton("Close", on_click=self._close_dialog)],
            )
        )

    async def open_file(self, attachment: Attachment, page: ft.Page | None = None) -> None:
        files = self.service.files
        if files is None or self.person_id is None:
            return  # a tab that has not joined has no one to read the file as
        url = page_origin(self.page.url) + file_url(attachment, files.read_key(self.person_id))
        self.page.show_dialog(FileDialog(attachment, url, self._close_dialog))

    async def _post_file(self, attachment: Attachment) -> None:
        if self.name is None:
            raise Rejected("Join the room first.")
        self._go_private()
        await self.service.post_message(
            self.room, self.session_id, self.name, "", attachments=[attachment]
        )
        self._bring_latest_into_view()

    async def _close_dialog(self, e: ft.Event) -> None:
        self.page.pop_dialog()

    async def show_message(self, message: Message) -> bool:
        """Show `message` (of this room) in context (chat/ui/jump.py); False if it cannot be."""

        async def fetch(after: int, limit: int) -> list[Message]:
            return await self.service.history_after(
                self.room, after, limit, session_id=self.session_id
            )

        jump = Jump(self._go_private(), self._flush, self.follow)
        return await jump.to(message, fetch, self.page.run_task)

    async def reply_to(self, message: Message, page: ft.Page | None = None) -> None:
        """Make the composer's next message a reply to `message`."""
        await self.replies.reply_to(message)

    async def open_thread(self, message: Message, page: ft.Page | None = None) -> None:
        """Show `message` and its replies in the thread panel."""
        await self.replies.open_thread(message)

    async def show_original(self, reply: Message, page: ft.Page | None = None) -> None:
        """Jump to the message `reply` quotes, in context (paging history in)."""
        await self.replies.show_original(reply)

    async def load_earlier(self, e: ft.Event) -> None:
        conversation = self._go_private()
        older = await self.service.history(
            self.room, before_seq=conversation.oldest_seq, session_id=self.session_id
        )
        conversation.extra_rows += len(older)
        conversation.prepend(older)
        self._flush()

    # ---- connection life

    async def _on_disconnect(self, e: ft.Event) -> None:
        self.service.disconnect(self.session_id)
        if self.name is not None and self._leave_task is None:
            self._leave_task = asyncio.create_task(self._leave_after_grace())

    async def _leave_after_grace(self) -> None:
        await asyncio.sleep(LEAVE_GRACE_SECONDS)
        await self.service.leave(self.room, self.session_id)
        self._leave_task = None

    async def _on_connect(self, e: ft.Event) -> None:
        self.service.connect(self.session_id, self.page.client_ip or "", returning=True)
        notice = self.service.socket_notices.take(self.session_id)
        if notice is not None:  # under the composer, where they pasted: it stays until they send
            self.composer.show_refusal(notice)
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None
        elif self.name is not None:
            try:
                self.name = await self.service.join(
                    self.room, self.session_id, self.name, self.person_id
                )
            except Rejected:
                self.name = None
                self.page.show_dialog(self.join_dialog)
        if self.shared is None and self.private is None:  # not joined: no room shown to catch up
            await self.outage_copy.write_now()
            return
        missed = self.feed.caught_up(
            await self.service.history_after(
                self.room, self.feed.last_seq, session_id=self.session_id
            )
        )
        self._append_events([MessagePosted(m) for m in missed])
        await self._catch_up_reply_counts()
        self._on_online(OnlineChanged(self.room, self.service.online(self.room)))
        self._flush()
        await self.outage_copy.write_now()

    async def _catch_up_reply_counts(self) -> None:
        if self.private is not None:
            await self.replies.catch_up_counts(self.private.messages(), self.private.apply)
        elif self.shared is not None:  # the shared rows, for every tab showing them
            await self.replies.catch_up_counts(self.shared.messages(), self.shared.take)

    async def _on_close(self, e: ft.Event) -> None:
        self.service.disconnect(self.session_id)
        self.outage_copy.stop()
        await self.leave_room(ended=True)

    async def leave_room(self, ended: bool = False) -> None:
        """Stop showing this room in the tab: no more of its events, and out of its presence.

        Unless `ended` (the tab is gone), the tab moves to another room: nobody is told.
        """
        self.page.pubsub.unsubscribe_topic(room_topic(self.room))
        self.catch_up.stop()
        self.notice.close()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self.shared is not None:
            self.shared.stop_showing_in(self, self.page)
        self.shared_room.everyone.remove(self.page)
        if self._leave_task is not None:
            self._leave_task.cancel()
            self._leave_task = None
        await self.service.leave(self.room, self.session_id, ended=ended, moving=not ended)

    # ---- rendering

    async def _on_event(self, topic: str, event: RoomEvent) -> None:
        self._append_events(self.feed.take(event))
        self._schedule_flush()

    async def _on_personal(self, topic: str, event: RoomEvent) -> None:
        self._routes(event)  # not through the feed: it is no message of the room

    def _append_events(self, events: list[RoomEvent]) -> None:
        for event in events:
            self._routes(event)

    def _on_message(self, event: MessagePosted | MessageChanged) -> None:
        self.replies.take(event)  # the open thread shows its new replies
        if (
            isinstance(event, MessagePosted)
            and event.message.kind is not MessageKind.SYSTEM
            and not self._is_own(event.message)
        ):
            self._follow_changed |= self.follow.message_arrived()
            self._title_changed |= self.unread.message_arrived()
        if self.private is None:
            own = isinstance(event, MessagePosted) and self._is_own(event.message)
            if not (own or self._mentions_me(event.message)):
                return  # the shared conversation renders it, once for every tab showing it
            # Posted under this tab's name elsewhere, or mentioning its person: styled here.
            self._go_private()
        assert self.private is not None  # shown privately, or made so just above
        self.private.apply(event)

    def _on_reactions(self, event: ReactionsChanged) -> None:
        if self.private is None:
            if not event.reactions.by(self.person_id):
                return  # the shared conversation renders it, once for every tab showing it
            self._go_private()  # reacted in another tab of this person's: marked here too
        assert self.private is not None
        self.private.apply(event)

    def _on_replies_counted(self, event: RepliesCounted) -> None:
        if self.private is not None:  # otherwise the shared conversation renders it
            self.private.apply(event)

    def _on_online(self, event: OnlineChanged) -> None:
        self._online = event.names

    def _on_typing(self, event: TypingChanged) -> None:
        self._typing_changed |= self.typing_line.show(event.typers, self.person_id)

    def _on_lock_changed(self, event: RoomLockChanged) -> None:
        self.notice.lock_changed(event.locked)

    def _on_muted(self, event: PersonMuted) -> None:
        if event.person_id == self.person_id:
            self.notice.muted(event.until)

    def _is_own(self, message: Message) -> bool:
        return (
            message.kind is MessageKind.CHAT
            and self.person_id is not None
            and message.author_id == self.person_id
        )

    def _mentions_me(self, message: Message) -> bool:
        return (
            self.name is not None
            and message.kind is not MessageKind.SYSTEM
            and mentions(message.text, self.name)
        )

    def _row(self, message: Message, grouped: bool, starts_day: bool) -> ChatMessage:
        divider = message.seq == self.divider_seq
        return ChatMessage(
            message,
            own=self._is_own(message),
            grouped=grouped and not divider,  # under the divider, say who wrote it
            starts_day=starts_day,
            first_unread=divider,
            on_catch_up=self.catch_up.ask if divider else None,
            tz=self._tz,
            display_name=message.shown_author(self.settings.bot_display_name),
            on_stop=self._stop_reply if self._may_stop(message) else None,
            on_delete=self._delete_message
            if self.offers_delete and message.kind is not MessageKind.SYSTEM
            else None,
            on_edit=self.editing.edit if self.editing.offers(message) else None,
            on_delete_own=self.editing.delete if self.editing.offers(message) else None,
            on_versions=self.editing.versions if self.offers_delete else None,
            on_regenerate=self.editing.regenerate
            if self.editing.offers_regenerate(message)
            else None,
            on_link=self.open_link,
            on_image=self.show_image,
            on_file=self.open_file,
            on_copy=self.copy_text,
            viewer=self.name,
            on_react=self.react,
            viewer_id=self.person_id,
            on_reply=self.reply_to,
            on_thread=self.open_thread,
            on_quote=self.show_original,
        )

    def _thread_row(self, message: Message) -> ChatMessage:
        return ChatMessage(
            message,
            own=self._is_own(message),
            grouped=False,
            tz=self._tz,
            display_name=self._shown_name(message),
            on_link=self.open_link,
            on_image=self.show_image,
            on_copy=self.copy_text,
            viewer=self.name,
        )

    def _shown_name(self, message: Message) -> str:
        return message.shown_author(self.settings.bot_display_name) or message.author

    def _conversation_copy(self) -> str:
        shown = self.private or self.shared
        messages = shown.messages() if shown is not None else []
        view = CopyView(self.room, self._tz, self.settings.bot_display_name, self._is_own)
        return conversation_copy(messages, view)

    def _may_stop(self, message: Message) -> bool:
        """True for a reply still being written that this tab's person may stop."""
        return (
            message.kind is MessageKind.BOT
            and not message.status.is_final
            and self.service.may_stop(message, self.person_id, self.moderates)
        )

    def _may_stop_now(self, row: ChatMessage) -> bool:
        """A reply this tab's (new) name may stop, shown without its Stop button."""
        return not row.offers_stop and self._may_stop(row.message)

    def _go_private(self, keep_from: int | None = None) -> MessageList:
        """Give this tab a conversation of its own, starting from what it shows now (from the
        message `keep_from` at least, if it is shown)."""
        if self.private is None:
            shared, self.shared = self.shared, None
            self.private = MessageList(
                self._row, self.settings.render_limit, self.load_earlier, tz=self._tz
            )
            if keep_from is not None:
                # Every row built in the browser, so that the divider's row can be scrolled to.
                self.private.view.build_controls_on_demand = False
            if shared is not None:
                shared.stop_showing_in(self, self.page)
                messages = shared.messages()
                start = len(messages) - OWN_VIEW_START_ROWS
                if keep_from is not None:  # with some of what was read above it, for context
                    first = next((i for i, m in enumerate(messages) if m.seq >= keep_from), 0)
                    start = min(start, first - READ_ROWS_ABOVE_DIVIDER)
                self.private.prepend(messages[max(start, 0) :])
                self.feed.resume_after(shared.last_seq)
            self.conversation.controls = [self.private.root]
            with unless_tab_gone():
                self.conversation.update()
                self.private.list_sent(freeze=True)
        return self.private

    async def _on_lifecycle(self, e: ft.AppLifecycleStateChangeEvent) -> None:
        ft.context.disable_auto_update()  # nothing on the page changes
        if self.unread.lifecycle(e.state):
            self._show_title()

    def _show_title(self) -> None:
        # A hidden tab builds no frames, so `page.title` would only change once the tab is
        # seen again. A SharedPreferences write is handled at once, and our index.html
        # sets the document's title from that key ("confab-title" script).
        self._title_write = asyncio.ensure_future(
            self.memory.set_quietly(TITLE_KEY, self.unread.title())
        )

    def _bring_latest_into_view(self) -> None:
        # Not awaited: the tab answers the scroll request, and sending must not wait for that.
        if self._scrolling is None or self._scrolling.done():
            self._scrolling = asyncio.create_task(self.follow.bring_latest_into_view())

    async def _scroll_to_divider(self) -> None:
        assert self.private is not None  # the divider is in this tab's own rows
        try:
            await scroll_to_key_in(self.page, self.private.view, DIVIDER_KEY)
            # Its throttled scroll notifications may not say so (it never saw the end).
            self.follow.scrolled_up()
        except TimeoutError:
            log.info("tab %s did not answer a scroll request", self.session_id)
        except RuntimeError as exc:  # the session closed meanwhile
            log.debug("scroll request to a closed tab: %r", exc)

    async def _scroll_to_end(self) -> None:
        if self.private is not None:
            view = self.private.view
        else:
            assert self.shared is not None  # a joined tab shows one or the other
            view = self.shared.list.view
        try:
            await scroll_to_end_in(self.page, view)
        except TimeoutError:
            log.info("tab %s did not answer a scroll request", self.session_id)
        except RuntimeError as exc:  # the session closed meanwhile
            log.debug("scroll request to a closed tab: %r", exc)

    def _schedule_flush(self) -> None:
        # A tab that has been quiet updates at once; a busy one waits out FLUSH_INTERVAL,
        # so what arrives meanwhile goes out as one patch and one frame.
        if self._flush_handle is None:
            loop = asyncio.get_running_loop()
            wait = self._last_flush + FLUSH_INTERVAL - loop.time()
            if wait > 0:
                self._flush_handle = loop.call_later(wait, self._flush)
            else:
                self._flush_handle = loop.call_soon(self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        with unless_tab_gone():
            conversation = self.private
            if conversation is not None:
                if conversation.list_changed:
                    conversation.trim()
                    self.page.update(conversation.view, conversation.load_earlier)
                    conversation.list_sent(freeze=True)
                for control in conversation.take_changed():
                    control.update()
            if self._follow_changed:
                self._follow_changed = False
                self.follow.button.update()
            if self._title_changed:
                self._title_changed = False
                self._show_title()
            if self._typing_changed:
                self._typing_changed = False
                self.typing_line.update()
            self.outage_copy.changed()
            if self._online is not None:
                self.chrome.show_online(
                    self._online
                )  # the shared panel itself is sent once for all
                self._online = None
