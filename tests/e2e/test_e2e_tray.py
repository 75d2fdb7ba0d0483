"""End to end: the tray app in a real X server with a real tray (trayer, XEmbed) and a real
notification daemon (dunst) on a private session bus, and a colleague on another lab host.

The tests run in file order on one scene (see conftest.py), like a working day: each sets up
what it needs from where the previous one left off, and the last one quits the app. Screenshots
go to artifacts/screenshots/e2e-*.png; look at them after a UI change.
"""

from __future__ import annotations

import html
import sys

import pytest

from hallway.store.home import config_path
from tests.e2e.conftest import Scene, Window
from tests.net.conftest import is_type
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

MAIN = "Hallway"
POPUP = "Set your status — Hallway"
FIRST_RUN = "Welcome to Hallway"


def _around(*windows: Window, margin: int = 8) -> str:
    """A crop (WxH+X+Y) holding all `windows`."""
    left = max(0, min(w.x for w in windows) - margin)
    top = max(0, min(w.y for w in windows) - margin)
    right = max(w.x + w.width for w in windows) + margin
    bottom = max(w.y + w.height for w in windows) + margin
    return f"{right - left}x{bottom - top}+{left}+{top}"


def _panel(scene: Scene) -> Window:
    panel = scene.desktop.tray_window()
    assert panel is not None
    x, y, width, height = scene.desktop.geometry(panel)
    return Window(panel, "panel", x, y, width, height)


def _other_windows(scene: Scene, name: str) -> list[Window]:
    """Mapped top-level windows of other programs titled `name` (dunst's: "Dunst")."""
    listing = scene.desktop.run(["xwininfo", "-root", "-children"]).stdout
    found = []
    for line in listing.splitlines():
        if f'"{name}"' not in line:
            continue
        wid = line.split()[0]
        x, y, width, height = scene.desktop.geometry(wid)
        if scene.app.viewable(wid):
            found.append(Window(wid, name, x, y, width, height))
    return found


def test_tray_icon_appears_and_the_window_waits_to_be_asked_for(scene: Scene) -> None:
    app = scene.app
    # Embedded in trayer's panel (XEmbed), laid out inside it, mapped, at least 16 px high.
    app.tray_icon()
    panel = _panel(scene)
    scene.desktop.screenshot("e2e-tray", crop=_around(panel, margin=0), zoom=3)
    scene.desktop.screenshot("e2e-desktop")
    app.open_menu()
    # With a tray, the app starts in it. The menu opened after start-up ended, and the X server
    # handles one client's requests in order: a window shown at start would be mapped by now.
    assert not app.titled(MAIN), "with a tray present, the window must not open at start"
    # From the bottom: Quit, Settings…, Pause notifications, Open Hallway.
    app.keys("Up", "Up", "Up", "Up", "Return")
    app.no_menu()
    window = app.window(MAIN)  # People first
    scene.desktop.screenshot("e2e-main-people-at-start", crop=window.crop)


def test_status_set_from_the_command_line_reaches_the_colleague(scene: Scene) -> None:
    mark = scene.colleague.mark()
    scene.app.cli("status", "set", "busy", "In a meeting")
    scene.colleague.wait_after(
        mark, is_type("status", peer=scene.ann, presence="busy", text="In a meeting")
    )


def test_busy_chosen_in_the_tray_menu_reaches_the_colleague(scene: Scene) -> None:
    app = scene.app
    mark = scene.colleague.mark()
    app.cli("status", "set", "available")
    scene.colleague.wait_after(mark, is_type("status", peer=scene.ann, presence="available"))

    mark = scene.colleague.mark()
    menu = app.open_menu()
    # Keyboard, as a person could: Available, Away, Busy are the menu's first entries.
    app.keys("Down", "Down", "Down")
    scene.desktop.screenshot("e2e-tray-menu", crop=_around(_panel(scene), menu))
    app.keys("Return")
    app.no_menu()
    scene.colleague.wait_after(mark, is_type("status", peer=scene.ann, presence="busy"))


def test_quick_status_popup_sets_a_status(scene: Scene) -> None:
    app = scene.app
    mark = scene.colleague.mark()
    app.click(*app.tray_icon().center)  # activating the icon opens the popup near the tray
    popup = app.window(POPUP)
    panel = _panel(scene)
    assert popup.y >= panel.y + panel.height - 2, "the popup should open below a top panel"
    app.focused(popup)
    app.keys("ctrl+a")  # the popup shows the current text: type over it
    # Typed as a person types; the emoji pasted, as from a character picker (see type_text).
    with scene.desktop.clipboard("☕") as clipboard:
        app.type_text("Back at 3 ")
        app.keys("ctrl+v")
        clipboard.pasted()
        scene.desktop.screenshot("e2e-quick-status", crop=_around(panel, popup))
        app.keys("Return")  # Enter posts
        app.no_window(POPUP)
        scene.colleague.wait_after(
            mark, is_type("status", peer=scene.ann, presence="busy", text="Back at 3 ☕")
        )


def test_open_hallway_from_the_menu_brings_the_window_back(scene: Scene) -> None:
    app = scene.app
    for window in app.titled(MAIN):
        app.close_window(window)  # with a tray, closing only hides it
    app.no_window(MAIN)
    assert app.alive(), "closing the window must not quit while the tray icon is there"
    app.unfocused()  # as a person's click would come: after the app has let the focus go
    app.open_menu()
    # From the bottom: Quit, Settings…, Pause notifications, Open Hallway.
    app.keys("Up", "Up", "Up", "Up", "Return")
    window = app.window(MAIN)
    scene.desktop.screenshot("e2e-main-people", crop=window.crop)


def test_posts_pop_up_through_dunst_with_their_urgency(scene: Scene) -> None:
    desktop = scene.desktop
    scene.colleague.cli("post", "Cake <b>in</b> the kitchen")
    scene.colleague.cli("post", "--urgent", "Fire drill now")

    def both_shown() -> dict[int, tuple[str, str]] | None:
        seen = desktop.dunst_urgencies()
        summaries = {summary for _, summary in seen.values()}
        return seen if {"Ben", "Urgent from Ben"} <= summaries else None

    seen = wait_until(both_shown, 15, "both pop-ups on screen")
    urgency = {summary: level for level, summary in seen.values()}
    assert urgency == {"Ben": "NORMAL", "Urgent from Ben": "CRITICAL"}
    assert desktop.dunst_displayed() == 2
    popups = wait_until(
        lambda: [w for w in _other_windows(scene, "Dunst") if w.height > 1],
        5,
        "dunst's pop-up window",
    )
    desktop.screenshot("e2e-notification", crop=_around(_panel(scene), *popups))
    desktop.screenshot("e2e-desktop-notification")

    # A click on a pop-up (dunst's default action) opens its item in the main window.
    app = scene.app
    for window in app.titled(MAIN):
        app.close_window(window)
    app.no_window(MAIN)
    desktop.run(["dunstctl", "action", "0"])
    window = app.window(MAIN)
    scene.desktop.screenshot("e2e-main-feed", crop=window.crop)

    desktop.run(["dunstctl", "close-all"])
    history = wait_until(
        lambda: (
            {n.summary: n for n in desktop.dunst_history() if n.appname == "Hallway"}
            if desktop.dunst_displayed() == 0
            else None
        ),
        5,
        "dunst's history",
    )
    urgent, post = history["Urgent from Ben"], history["Ben"]
    assert urgent.body == "Fire drill now"
    assert urgent.timeout_us == 0, "critical pop-ups stay until dismissed (dunst's critical rule)"
    assert post.timeout_us == 10_000_000, "normal pop-ups expire (dunst's normal rule)"
    # dunst reads the body as markup: the peer's tags arrive escaped and show literally.
    assert "<b>" not in post.body
    assert html.unescape(post.body) == "Cake <b>in</b> the kitchen"
    assert urgent.default_action == post.default_action == "default"


def test_first_run_dialog_on_a_fresh_home(scene: Scene) -> None:
    app, desktop = scene.app, scene.desktop
    fresh = scene.tmp / "home-fresh"
    with (scene.tmp / "first-run.log").open("w") as log:
        second = app.host.popen(
            [sys.executable, "-m", "hallway", "--home", str(fresh)],
            env=app.env(desktop),
            stdout=log,
            stderr=log,
        )
    try:
        dialog = app.window(FIRST_RUN, timeout=15)
        desktop.screenshot("e2e-first-run", crop=dialog.crop)
        app.close_window(dialog)  # cancelling the first run quits without setting anything up
        assert second.wait(10) == 0
        assert not config_path(fresh).exists()
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()


def test_quit_from_the_tray_menu_goes_offline_at_once(scene: Scene) -> None:
    app = scene.app
    mark = scene.colleague.mark()
    app.open_menu()
    # The last entry, Quit; the main window is open, which must not hold the quit back.
    assert app.titled(MAIN)
    app.keys("Up", "Return")
    assert app.wait_exit(10) == 0
    scene.colleague.wait_after(mark, is_type("peer_offline", peer=scene.ann), timeout=5)
