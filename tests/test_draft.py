"""DraftTracker: messages cut exactly at each Enter, whatever the browser shows meanwhile."""

from chat.ui.draft import DraftTracker


def typed(draft: DraftTracker, start: str, more: str) -> str:
    """Report `more` typed one key at a time after `start`; return the field's final text."""
    value = start
    for key in more:
        value += key
        draft.reported(value)
    return value


def test_keys_typed_after_enter_start_the_next_message():
    draft = DraftTracker()
    shown = typed(draft, "", "yes")
    assert draft.take() == "yes"
    shown = typed(draft, shown, "sounds good")  # the field still shows "yes" in front
    assert shown == "yessounds good"
    assert draft.take() == "sounds good"
    assert draft.take() == ""  # a second Enter sends nothing twice


def test_line_breaks_stay_inside_their_message():
    draft = DraftTracker()
    shown = typed(draft, "", "ok\nand the notes")
    assert draft.take() == "ok\nand the notes"
    typed(draft, shown, "bye")
    assert draft.take() == "bye"


def test_keys_a_tidy_write_wipes_are_kept_and_written_back():
    draft = DraftTracker()
    shown = typed(draft, "", "yes")
    assert draft.take() == "yes"
    assert draft.untidy
    assert draft.tidy() == ""  # on its way to the browser...
    typed(draft, shown, "so")  # ...while "so" is typed: these reports still extend "yes"
    assert draft.write_pending
    typed(draft, "", "unds")  # the write arrived and erased "so"; typing went on in the empty field
    assert not draft.write_pending
    assert draft.unsent == "sounds"
    assert draft.untidy  # the field lacks "so": the next tidy writes it back
    assert draft.tidy() == "sounds"
    typed(draft, "sounds", " good")
    assert draft.take() == "sounds good"


def test_a_write_the_browser_overrode_loses_nothing_either():
    draft = DraftTracker()
    shown = typed(draft, "", "yes")
    draft.take()
    draft.tidy()
    # Keys came between the write's arrival and the next frame: the browser kept its own text.
    shown = typed(draft, shown, "sounds good")
    assert draft.take() == "sounds good"
    draft.assume_landed()  # a long quiet spell: the next tidy writes from what the browser shows
    assert draft.tidy() == ""


def test_a_refused_message_comes_back_before_newer_text():
    draft = DraftTracker()
    shown = typed(draft, "", "far too long")
    refused = draft.take()
    typed(draft, shown, "next")
    draft.give_back(refused)
    assert draft.tidy() == "far too long\nnext"
    assert draft.take() == "far too long\nnext"


def test_a_refused_message_alone_stays_as_it_was():
    draft = DraftTracker()
    typed(draft, "", "slow down")
    draft.give_back(draft.take())
    assert draft.tidy() == "slow down"


def test_a_restored_draft_is_written_and_typing_goes_on_after_it():
    draft = DraftTracker()
    draft.restore("half a tho")
    assert draft.untidy and draft.tidy() == "half a tho"
    typed(draft, "half a tho", "ught")
    assert draft.take() == "half a thought"


def test_deleting_into_sent_text_does_not_send_it_again():
    draft = DraftTracker()
    shown = typed(draft, "", "yes")
    draft.take()
    draft.reported("ye")  # Backspace right after Enter, before the field was tidied
    typed(draft, "ye", "p")
    assert draft.take() == "p"
