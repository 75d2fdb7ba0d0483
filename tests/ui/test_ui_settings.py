"""Settings: values come back as a new config; start at login writes the XDG entry."""

from __future__ import annotations

from hallway.ui.autostart import ENTRY_NAME, autostart_path, set_autostart
from hallway.ui.settings import SettingsDialog


def test_settings_round_trip(qtbot, config):
    dialog = SettingsDialog(config, platform="linux")
    qtbot.addWidget(dialog)
    dialog.name.setText("Ann B.")
    dialog.notify_online.setChecked(True)
    dialog.notify_posts.setChecked(False)
    dialog.start_at_login.setChecked(True)
    result = dialog.result_values()
    assert result.office_change is None
    assert not result.needs_restart(config)
    assert result.config.name == "Ann B."
    assert result.config.notifications.online is True
    assert result.config.notifications.posts is False
    assert result.config.start_at_login is True
    assert config.name == "Me"  # the original is untouched


def test_changing_office_needs_a_restart(qtbot, config):
    dialog = SettingsDialog(config, platform="linux")
    qtbot.addWidget(dialog)
    dialog.change_office.setChecked(True)
    assert not dialog.save.isEnabled()
    qtbot.keyClicks(dialog.office.office, "Acme")
    qtbot.keyClicks(dialog.office.passphrase, "secret")
    assert dialog.save.isEnabled()
    result = dialog.result_values()
    assert result.needs_restart(config)
    assert (result.config.office, result.config.open) == ("Acme", False)


def test_autostart_entry_written_and_removed(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/nonexistent"}
    path = set_autostart(True, home=tmp_path / "my home", env=env, platform="linux")
    assert path == tmp_path / "autostart" / ENTRY_NAME == autostart_path(env)
    text = path.read_text()
    assert "[Desktop Entry]" in text
    assert f'Exec=hallway-tray --home "{tmp_path / "my home"}" --minimized' in text
    set_autostart(False, env=env, platform="linux")
    assert not path.exists()


def test_autostart_on_macos_is_a_launch_agent(tmp_path):
    import plistlib

    env = {"HOME": str(tmp_path)}
    path = set_autostart(True, home=tmp_path / "my home", env=env, platform="darwin")
    assert path == tmp_path / "Library" / "LaunchAgents" / "io.github.hallway.Hallway.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent["RunAtLoad"] is True
    assert agent["ProgramArguments"][-2:] == ["--home", str(tmp_path / "my home")]
    assert "--minimized" in agent["ProgramArguments"]
    set_autostart(False, env=env, platform="darwin")
    assert not path.exists()


def test_autostart_on_other_systems_keeps_only_the_flag(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert set_autostart(True, env=env, platform="sunos5") is None
    assert list(tmp_path.iterdir()) == []
