"""Avatars: stable colours from the peer id, initials, a presence badge; and the pop-up image."""

from __future__ import annotations

from hallway_ui_fakes import ANN, BEN
from PySide6.QtGui import QColor, QImage

from hallway.core.model import Presence
from hallway.ui.avatar import AVATAR_COLOURS, avatar_colour, avatar_icon, avatar_image, initials
from hallway.ui.notifications import image_icon, popup_image
from hallway.ui.notify_policy import Candidate, Kind, Popup


def test_initials():
    assert initials("Ann Example") == "AE"
    assert initials("ben") == "B"
    assert initials("Eva Lindqvist-Montgomery") == "EL"
    assert initials("  dee  van  der  berg ") == "DB"
    assert initials("(Ann) 🌴 Smith") == "S"  # words starting with no letter are skipped
    assert initials("🌴") == "?"
    assert initials("") == "?"
    assert initials("Łukasz Żak") == "ŁŻ"


def test_the_colour_is_fixed_by_the_peer_id_alone():
    # SHA-256 of the id, never Python's per-process salted hash(): the same on every machine.
    assert avatar_colour(ANN).name() == "#00695c"
    assert avatar_colour(BEN).name() == "#455a64"
    assert avatar_colour("0" * 32).name() == "#6a1b9a"


def test_colours_come_from_the_palette_and_spread():
    colours = {avatar_colour(f"{n:032x}").name() for n in range(200)}
    assert colours <= {QColor(c).name() for c in AVATAR_COLOURS}
    assert len(colours) == len(AVATAR_COLOURS)


def _pixel(image: QImage, x: float, y: float) -> QColor:
    return image.pixelColor(int(image.width() * x), int(image.height() * y))


def test_the_avatar_has_its_colour_and_a_badge_only_when_asked(qapp):
    plain = avatar_image(ANN, "Ann", None, 64)
    badged = avatar_image(ANN, "Ann", Presence.BUSY.value, 64)
    colour = avatar_colour(ANN)
    assert _pixel(plain, 0.2, 0.5).name() == colour.name()  # the disc, left of the initial
    assert _pixel(plain, 0.02, 0.02).alpha() == 0  # a circle: the corners stay clear
    # Bottom right: the disc's colour without a badge, the busy red with one.
    assert _pixel(plain, 0.8, 0.8).name() == colour.name()
    busy = _pixel(badged, 0.86, 0.86)
    assert busy.name() != colour.name()
    assert busy.red() > 180 > busy.green()
    assert not avatar_icon(ANN, "Ann", None).pixmap(22, 22).isNull()


def test_a_status_popup_carries_the_avatar_with_its_new_presence(qapp):
    status = Candidate(Kind.STATUS, ANN, "Ann", "Dentist", ANN, presence=Presence.BUSY)
    image = popup_image(Popup(Kind.STATUS, (status,)), size=48)
    assert image is not None
    assert (image.width, image.height, len(image.rgba)) == (48, 48, 48 * 48 * 4)
    expected = avatar_image(ANN, "Ann", "busy", 48).convertToFormat(QImage.Format.Format_RGBA8888)
    back = image_icon(image).pixmap(48, 48).toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    assert back == expected
    # A post: the person's avatar, without a badge (a post says nothing of their presence).
    post = Candidate(Kind.POST, ANN, "Ann", "Cake", "ann:1:1")
    image = popup_image(Popup(Kind.POST, (post,)), size=48)
    assert image is not None
    plain = avatar_image(ANN, "Ann", None, 48).convertToFormat(QImage.Format.Format_RGBA8888)
    assert image.rgba == bytes(plain.constBits())[: 48 * 48 * 4]


def test_a_popup_about_several_people_has_no_single_avatar():
    a = Candidate(Kind.POST, ANN, "Ann", "Cake", "ann:1:1")
    b = Candidate(Kind.POST, BEN, "Ben", "Tea", "ben:1:1")
    assert popup_image(Popup(Kind.POST, (a, b))) is None
