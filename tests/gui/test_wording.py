"""The desktop app speaks its own language: no command lines to type, no "named above", counts of notes
without a type said in words; `appliance gui` documents --lock-minutes and refuses options it would ignore."""

from __future__ import annotations

import pytest

from appliance.cli import main
from appliance.errors import ApplianceError, InvalidInput
from gui.errors import as_text, gui_words
from gui.pages.data import note_types_text


@pytest.mark.parametrize(("core", "shown"), [
    ("/srv/ws is not a workspace (no workspace.db / keyslots.json); create one with 'appliance init'",
     "/srv/ws is not a workspace (no workspace.db / keyslots.json); create one on the Create a workspace tab"),
    ("dataset 'ward' has no de-identified version; run 'appliance deid run' first",
     "dataset 'ward' has no de-identified version; run de-identification on the De-identification page first"),
    ("run 'run-0001-lora' is trained; evaluate it first ('appliance evaluate run-0001-lora')",
     "run 'run-0001-lora' is trained; evaluate it first on the Models page"),
    ("an approval needs a note (--note) saying what it was checked for",
     "an approval needs a note saying what it was checked for"),
    ("/tmp/x is not an export directory ('appliance export RUN --out DIR' makes one)",
     "/tmp/x is not an export directory"),
])
def test_core_messages_name_pages_not_commands(core: str, shown: str) -> None:
    assert gui_words(core) == shown
    assert "appliance " not in as_text(ApplianceError(core))


def test_invalid_input_next_step_is_plain() -> None:
    text = as_text(InvalidInput("the learning rate must be positive"))
    assert "named above" not in text and text.endswith("Change what the message names and try again; nothing "
                                                         "was changed.")


def test_notes_without_a_type_are_counted_in_words() -> None:
    assert note_types_text({"?": 30}) == "no type 30"
    assert note_types_text({"discharge": 2, "?": 1}) == "discharge 2, no type 1"


def test_gui_command_help_and_ignored_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as shown:
        main(["gui", "--help"])
    assert shown.value.code == 0
    help_text = capsys.readouterr().out
    assert "--lock-minutes N" in help_text and "--password-file" not in help_text and "--json" not in help_text
    with pytest.raises(SystemExit) as refused:
        main(["gui", "--json"])
    assert refused.value.code == 2
    assert main(["--password-file", "pw.txt", "gui"]) == 2
    assert "does not use --password-file" in capsys.readouterr().err
    assert main(["gui", "--lock-minutes", "0"]) == 2
