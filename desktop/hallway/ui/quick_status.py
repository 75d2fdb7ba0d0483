"""The quick-status popup: presence, a short text, an emoji and when it clears, in one go.

Enter sets the status, Esc cancels. The text field cannot hold more than the 140 characters a
status may have; at the limit a message says so.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QPoint, QRect, Qt, Slot
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.durations import until_time
from hallway.core.emoji import EMOJI_EXAMPLES, is_emoji
from hallway.core.model import EMOJI_MAX, STATUS_TEXT_MAX, Presence, clean_text
from hallway.ui.bridge import EngineBridge
from hallway.ui.icons import presence_icon
from hallway.ui.placement import popup_position
from hallway.ui.text import emoji_font, presence_label
from hallway.ui.theme import emoji_backdrop

LocalClock = Callable[[], datetime]

#: A small, office-minded choice; "" means no emoji.
EMOJIS = ("", "📅", "🍽️", "☕", "🏠", "🚌", "🎧", "🤒", "🌴")

_WARN_AT = 10
PICKER_EMOJI_PX = 26


def local_now() -> datetime:
    return datetime.now().astimezone()


class ClearAfter(enum.Enum):
    MIN_30 = "30m"
    HOUR_1 = "1h"
    HOUR_4 = "4h"
    TODAY = "today"
    NEVER = "never"


def clear_after_until(choice: ClearAfter, now: datetime) -> float | None:
    """The POSIX time a status set at `now` (aware, local) clears; None for never."""
    match choice:
        case ClearAfter.MIN_30:
            return (now + timedelta(minutes=30)).timestamp()
        case ClearAfter.HOUR_1:
            return (now + timedelta(hours=1)).timestamp()
        case ClearAfter.HOUR_4:
            return (now + timedelta(hours=4)).timestamp()
        case ClearAfter.TODAY:
            return until_time("today", now).timestamp()
        case ClearAfter.NEVER:
            return None


class QuickStatusPopup(QDialog):
    """A popup near the tray for setting one's status. Accepting calls `bridge.set_status`."""

    def __init__(
        self,
        bridge: EngineBridge,
        parent: QWidget | None = None,
        *,
        clock: LocalClock = local_now,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self._bridge = bridge
        self._clock = clock
        self.setObjectName("quickStatus")
        # A popup has no window frame; draw an edge so it stands apart from what lies beneath.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        chip = emoji_backdrop(self.palette())
        self.setStyleSheet(
            "QDialog#quickStatus { border: 1px solid palette(dark); background: palette(window); }"
            " QToolButton#emojiButton { border: 2px solid transparent; border-radius: 8px;"
            f" background: rgba({chip.red()}, {chip.green()}, {chip.blue()}, {chip.alpha()}); }}"
            " QToolButton#emojiButton:hover { border-color: palette(mid); }"
            " QToolButton#emojiButton:checked { border-color: palette(highlight);"
            " background: palette(base); }"
        )
        self.setWindowTitle(self.tr("Set your status"))

        title = self._build_fields()
        self._build_buttons()
        self._lay_out(title)

        self.text_edit.textChanged.connect(self._update_counter)
        self.text_edit.returnPressed.connect(self.accept)
        self._load_current()
        self._update_counter(self.text_edit.text())
        self.text_edit.setFocus()

    def _build_emoji_row(self) -> tuple[QButtonGroup, QHBoxLayout]:
        group = QButtonGroup(self)
        emoji_row = QHBoxLayout()
        emoji_row.setSpacing(4)
        # Colour emoji at the text size are too small to tell apart, and the light ones (🍽,
        # 🦷) vanish on a light window: large, each on a quiet backdrop.
        big = emoji_font(self.font(), PICKER_EMOJI_PX)
        for emoji in EMOJIS:
            button = QToolButton()
            button.setObjectName("emojiButton")
            button.setFont(big if emoji else self.font())
            button.setCheckable(True)
            button.setText(emoji or "\N{EM DASH}")
            button.setToolTip(emoji or self.tr("No emoji"))
            button.setProperty("emoji", emoji)
            button.setFixedSize(PICKER_EMOJI_PX + 16, PICKER_EMOJI_PX + 14)
            button.clicked.connect(self.emoji_edit.clear)
            group.addButton(button)
            emoji_row.addWidget(button)
        emoji_row.addSpacing(6)
        other = QLabel(self.tr("Other:"))
        other.setBuddy(self.emoji_edit)
        emoji_row.addWidget(other)
        emoji_row.addWidget(self.emoji_edit)
        emoji_row.addStretch(1)
        return group, emoji_row

    def _build_emoji_edit(self) -> None:
        """A field for any other emoji, typed or pasted (checked when the status is set)."""
        self.emoji_edit = QLineEdit()
        self.emoji_edit.setObjectName("customEmoji")
        self.emoji_edit.setFont(emoji_font(self.font(), PICKER_EMOJI_PX - 6))
        self.emoji_edit.setMaxLength(EMOJI_MAX)
        self.emoji_edit.setToolTip(
            self.tr("Any one emoji, such as {examples}").format(examples=EMOJI_EXAMPLES)
        )
        self.emoji_edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.emoji_edit.setFixedSize(PICKER_EMOJI_PX + 30, PICKER_EMOJI_PX + 14)
        self.emoji_edit.textChanged.connect(self._custom_emoji_changed)

    def _build_fields(self) -> QLabel:
        title = QLabel(self.tr("Set your status"))
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)

        self.presence_group = QButtonGroup(self)
        self.presence_row = presence_row = QHBoxLayout()
        presence_row.setSpacing(4)
        for presence in Presence:
            button = QToolButton()
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setIcon(presence_icon(presence.value))
            button.setText(presence_label(presence))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setProperty("presence", presence.value)
            self.presence_group.addButton(button)
            presence_row.addWidget(button)
        presence_row.addStretch(1)

        self._build_emoji_edit()
        self.emoji_group, self.emoji_row = self._build_emoji_row()

        self.text_edit = QLineEdit()
        self.text_edit.setMaxLength(STATUS_TEXT_MAX)
        self.text_edit.setPlaceholderText(self.tr("What's your status? (optional)"))
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setMinimumWidth(340)
        self.counter = QLabel()
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counter.setMinimumWidth(self.counter.fontMetrics().horizontalAdvance("140 left  "))

        self.clear_after = QComboBox()
        for choice, label in (
            (ClearAfter.MIN_30, self.tr("30 minutes")),
            (ClearAfter.HOUR_1, self.tr("1 hour")),
            (ClearAfter.HOUR_4, self.tr("4 hours")),
            (ClearAfter.TODAY, self.tr("Today")),
            (ClearAfter.NEVER, self.tr("Never")),
        ):
            self.clear_after.addItem(label, choice)
        self.clear_after.setCurrentIndex(self.clear_after.findData(ClearAfter.NEVER))

        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: palette(highlight);")
        self.message.hide()
        return title

    def _build_buttons(self) -> None:
        self.buttons = QDialogButtonBox()
        self.set_button = self.buttons.addButton(
            self.tr("Set status"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.set_button.setDefault(True)
        self.clear_button = self.buttons.addButton(
            self.tr("Clear status"), QDialogButtonBox.ButtonRole.ResetRole
        )
        self.clear_button.setAutoDefault(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.clear_button.clicked.connect(self._clear_status)

    def _lay_out(self, title: QLabel) -> None:
        text_row = QHBoxLayout()
        text_row.addWidget(self.text_edit, 1)
        text_row.addWidget(self.counter)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("Clear after"), self.clear_after)
        self.clear_after.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addLayout(self.presence_row)
        layout.addLayout(text_row)
        layout.addLayout(self.emoji_row)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    # -- values ----------------------------------------------------------------------------

    def presence(self) -> Presence:
        button = self.presence_group.checkedButton()
        return Presence(button.property("presence")) if button else Presence.AVAILABLE

    def set_presence(self, presence: Presence) -> None:
        self._check(self.presence_group.buttons(), "presence", presence.value)

    def emoji(self) -> str:
        """The emoji chosen: the one typed in "Other", else the button checked."""
        custom = self.emoji_edit.text().strip()
        if custom:
            return custom
        button = self.emoji_group.checkedButton()
        return str(button.property("emoji")) if button else ""

    def set_emoji(self, emoji: str) -> None:
        if self._check(self.emoji_group.buttons(), "emoji", emoji):
            self.emoji_edit.clear()
        elif emoji:  # not one of ours (set from the command line, say): keep it
            self.emoji_edit.setText(emoji)
            self._uncheck_emoji_buttons()
        else:
            self._check(self.emoji_group.buttons(), "emoji", "")

    def _uncheck_emoji_buttons(self) -> None:
        # An exclusive group never lets its last checked button go, so lift that for a moment.
        self.emoji_group.setExclusive(False)
        for button in self.emoji_group.buttons():
            button.setChecked(False)
        self.emoji_group.setExclusive(True)

    @Slot(str)
    def _custom_emoji_changed(self, text: str) -> None:
        if text.strip():
            self._uncheck_emoji_buttons()
        elif self.emoji_group.checkedButton() is None:  # emptied, not replaced by a button
            self._check(self.emoji_group.buttons(), "emoji", "")
        self.message.hide()

    def set_clear_after(self, choice: ClearAfter) -> None:
        self.clear_after.setCurrentIndex(self.clear_after.findData(choice))

    def until(self) -> float | None:
        choice = self.clear_after.currentData()
        assert isinstance(choice, ClearAfter)
        return clear_after_until(choice, self._clock())

    @staticmethod
    def _check(buttons: list[QAbstractButton], name: str, value: str) -> bool:
        for button in buttons:
            if button.property(name) == value:
                button.setChecked(True)
                return True
        return False

    def _load_current(self) -> None:
        status = self._bridge.me().status
        self.set_presence(status.presence)
        self.text_edit.setText(status.text)
        self.set_emoji(status.emoji)

    # -- placement -------------------------------------------------------------------------

    def show_near(self, anchor: QRect | None = None) -> None:
        """Show beside `anchor` (the tray icon's geometry), or beside the cursor."""
        self.adjustSize()
        if anchor is None or anchor.isEmpty():
            anchor = QRect(QCursor.pos(), QCursor.pos())
        screen = QGuiApplication.screenAt(anchor.center()) or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen else QRect(QPoint(0, 0), self.size())
        self.move(popup_position(self.sizeHint(), anchor, area))
        self.show()
        self.raise_()
        self.activateWindow()
        self.text_edit.setFocus()

    # -- behaviour -------------------------------------------------------------------------

    @Slot(str)
    def _update_counter(self, text: str) -> None:
        left = STATUS_TEXT_MAX - len(text)
        self.counter.setText(self.tr("{count} left").format(count=left))
        colour = "palette(highlight)" if left <= _WARN_AT else "palette(placeholder-text)"
        self.counter.setStyleSheet(f"color: {colour};")
        if left <= 0:
            self._say(
                self.tr("A status can be {limit} characters at most.").format(limit=STATUS_TEXT_MAX)
            )
        else:
            self.message.hide()

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    @Slot()
    def accept(self) -> None:
        emoji = self.emoji()
        if emoji and not is_emoji(emoji):
            message = self.tr("“{text}” is not an emoji. Pick one above, or type one: {examples}.")
            self._say(message.format(text=emoji, examples=EMOJI_EXAMPLES))
            self.emoji_edit.setFocus()
            self.emoji_edit.selectAll()
            return
        try:
            text = clean_text(self.text_edit.text(), STATUS_TEXT_MAX)
        except ValueError:
            self._say(
                self.tr("A status can be {limit} characters at most.").format(limit=STATUS_TEXT_MAX)
            )
            return
        if self._bridge.set_status(self.presence(), text, emoji=emoji, until=self.until()):
            super().accept()
        else:
            self._say(self._bridge.last_error)

    @Slot()
    def _clear_status(self) -> None:
        if self._bridge.clear_status():
            super().accept()
        else:
            self._say(self._bridge.last_error)
