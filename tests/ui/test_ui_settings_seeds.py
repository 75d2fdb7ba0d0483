"""Settings' "Colleagues on other networks" (issue 14): seeds added and removed, bad ones
explained, our own address shown for others; and a screenshot in both themes."""

from __future__ import annotations

import pytest
from screenshot_helper import THEMES, save_screenshot, themed

from hallway.ui.settings import SettingsDialog


@pytest.fixture(params=THEMES)
def theme(request, qapp):
    with themed(qapp, request.param) as shown:
        assert shown == request.param
        yield request.param


def test_seeds_are_added_checked_and_removed(qtbot, config):
    dialog = SettingsDialog(config, platform="linux", own_addresses=["198.18.1.7"], own_port=7000)
    qtbot.addWidget(dialog)
    assert dialog.own_place.text() == "Yours, for colleagues elsewhere: 198.18.1.7:7000"
    assert not dialog.add_seed.isEnabled()
    for text in ("198.18.2.15", "desk-ben.example:7100"):
        qtbot.keyClicks(dialog.seed_entry, text)
        dialog.add_seed.click()
    assert dialog.seed_list() == ["198.18.2.15", "desk-ben.example:7100"]
    assert dialog.seed_entry.text() == ""
    qtbot.keyClicks(dialog.seed_entry, "198.18.2.15")
    dialog.add_seed.click()
    assert "in the list already" in dialog.seed_problem.text()
    dialog.seed_entry.clear()
    qtbot.keyClicks(dialog.seed_entry, "ben smith:80")
    dialog.add_seed.click()
    assert "neither an IPv4 address nor a host name" in dialog.seed_problem.text()
    assert dialog.seed_list() == ["198.18.2.15", "desk-ben.example:7100"]
    dialog.seeds.setCurrentRow(0)
    dialog.remove_seed.click()
    result = dialog.result_values()
    assert result.config.peers == ["desk-ben.example:7100"]
    assert result.needs_restart(config)  # the node asks its seeds when it starts
    assert config.peers == []


def test_without_the_nodes_port_the_addresses_alone_are_shown(qtbot, config):
    dialog = SettingsDialog(config, platform="linux", own_addresses=["10.0.0.5", "10.8.0.2"])
    qtbot.addWidget(dialog)
    assert dialog.own_place.text().endswith("10.0.0.5, 10.8.0.2")
    assert not dialog.result_values().needs_restart(config)


def test_screenshot_settings_with_seeds(qtbot, config, theme):
    config.peers = ["198.18.2.15", "desk-ben.example:7100"]
    dialog = SettingsDialog(config, platform="linux", own_addresses=["198.18.1.7"], own_port=7000)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"settings-seeds-{theme}")
