"""The office part of first run and settings: join one by name and passphrase, or an open one."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import NAME_MAX


@dataclass(frozen=True, slots=True)
class OfficeChoice:
    """`office` and `passphrase` are None for an open office."""

    open_office: bool
    office: str | None
    passphrase: str | None


class OfficeChooser(QWidget):
    """Signals:
    changed(): the choice or its fields changed (re-check validity).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.join = QRadioButton(self.tr("Join an office"))
        self.open = QRadioButton(self.tr("Use an open office"))
        group = QButtonGroup(self)
        group.addButton(self.join)
        group.addButton(self.open)
        self.join.setChecked(True)

        self.office = QLineEdit()
        self.office.setMaxLength(NAME_MAX)
        self.office.setPlaceholderText(self.tr("The office's name, as colleagues typed it"))
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(self.tr("Shared by everyone in the office"))
        join_fields = QWidget()
        form = QFormLayout(join_fields)
        form.setContentsMargins(24, 0, 0, 0)
        form.addRow(self.tr("Office name"), self.office)
        form.addRow(self.tr("Passphrase"), self.passphrase)
        self.join_fields = join_fields

        self.open_note = QLabel(
            self.tr(
                "Everyone on this network can see an open office, and join it: your name "
                "and status included. Use it only where that is fine."
            )
        )
        self.open_note.setWordWrap(True)
        self.open_note.setTextFormat(Qt.TextFormat.PlainText)
        self.open_note.setContentsMargins(24, 0, 0, 0)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.join)
        layout.addWidget(join_fields)
        layout.addWidget(self.open)
        layout.addWidget(self.open_note)

        for signal in (self.join.toggled, self.office.textChanged, self.passphrase.textChanged):
            signal.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        joining = self.join.isChecked()
        self.join_fields.setEnabled(joining)
        self.open_note.setEnabled(not joining)
        self.changed.emit()

    def choice(self) -> OfficeChoice:
        if self.open.isChecked():
            return OfficeChoice(open_office=True, office=None, passphrase=None)
        return OfficeChoice(
            open_office=False, office=self.office.text().strip(), passphrase=self.passphrase.text()
        )

    def problem(self) -> str | None:
        """Why the choice cannot be used yet, or None."""
        if self.open.isChecked():
            return None
        if not self.office.text().strip():
            return self.tr("Type the office's name.")
        if not self.passphrase.text():
            return self.tr("Type the office's passphrase.")
        return None
