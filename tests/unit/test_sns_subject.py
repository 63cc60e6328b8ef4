"""SNS subjects are always valid (issue 7 §1): AWS refuses what moto accepts."""

from __future__ import annotations

import random
import re
import string

import pytest

from chalicelib.core.notifications import one_line, sns_subject

# AWS's rule, as the SNS Publish API reference states it: "Subjects must be UTF-8 text with no line
# breaks or control characters, and less than 100 characters long." Its earlier wording was
# stricter: "ASCII text that begins with a letter, number, or punctuation mark". moto checks
# neither, so this test holds the rule itself; our subjects meet the strictest form.
AWS_SUBJECT = re.compile(r"[A-Za-z0-9!-/:-@\[-`{-~][ -~]{0,98}", re.ASCII)


def valid_for_aws(subject: str) -> bool:
    no_controls = all(ch.isprintable() for ch in subject)
    return bool(AWS_SUBJECT.fullmatch(subject)) and no_controls and len(subject) < 100


def test_the_rule_itself_refuses_what_broke_alerts() -> None:
    assert valid_for_aws("Low stock: Bed (3 left)")
    for bad in ["Low stock: Bed\nroom", "Low stock: Bed\troom", "x" * 100, " leading space", "", "Caf\u00e9"]:
        assert not valid_for_aws(bad), bad


@pytest.mark.parametrize(
    "name",
    [
        "Bed\nroom\r\n\tset",
        "Caf\u00e9 cr\u00e8me \u2013 \u00bd price \U0001f6cf",
        "\u0000\u0007\u001b[31mred",
        "x" * 500,
        "   ",
        "\u2028\u2029\u0085",
        "\u65e5\u672c\u8a9e\u306e\u540d\u524d",
    ],
)
def test_subjects_built_from_any_name_are_valid(name: str) -> None:
    subject = sns_subject(f"Low stock: {name} (3 left)")
    assert valid_for_aws(subject), subject
    assert subject.startswith("Low stock:")


def test_accents_survive_as_letters_and_long_names_are_cut_visibly() -> None:
    assert sns_subject("Low stock: Caf\u00e9 cr\u00e8me") == "Low stock: Cafe creme"
    long = sns_subject("Low stock: " + "word " * 40)
    assert len(long) <= 99 and long.endswith("...")
    assert sns_subject("\n\n") == "Stockroom notification"


def test_random_text_always_gives_a_valid_subject() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "\u00e9\u00df\u2028\u0085\u200d\ufeff\U0001f600\u0000\u001f\u007f"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 150)))
        assert valid_for_aws(sns_subject(text)), repr(text)


def test_one_line_for_email_subjects() -> None:
    assert one_line("Low stock:\r\n Bed\t has 3 left ") == "Low stock: Bed has 3 left"
