"""First run: a display name, the office, and whether to start at login.

The dialog only gathers values; the app passes them to `runtime.init_home`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import NAME_MAX
from hallway.ui.icons import app_icon
from hallway.ui.office_choice import OfficeChoice, OfficeChooser


def default_display_name() -> str:
    """The OS account's full name (GECOS), else the login name, else ""."""
    try:
        import pwd

        entry = pwd.getpwuid(os.getuid())
    except (ImportError, KeyError, AttributeError):
        return os.environ.get("USER", "") or os.environ.get("USERNAME", "")
    full = entry.pw_gecos.split(",")[0].strip()
    return (full or entry.pw_name)[:NAME_MAX]


@dataclass(frozen=True, slots=True)
class FirstRunValues:
    name: str
    office: OfficeChoice
    start_at_login: bool


class FirstRunDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, default_name: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Welcome to Hallway"))
        self.setWindowIcon(app_icon())
        heading = QLabel(self.tr("Welcome to Hallway"))
        font = heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        heading.setFont(font)
        intro = QLabel(
            self.tr(
                "See who is in, set your status and read office announcements, "
                "right from the system tray. No server: colleagues find each other "
                "on this network."
            )
        )
        intro.setWordWrap(True)

        self.name = QLineEdit(default_display_name() if default_name is None else default_name)
        self.name.setMaxLength(NAME_MAX)
        self.name.setPlaceholderText(self.tr("How colleagues see you"))
        name_form = QFormLayout()
        name_form.addRow(self.tr("Your name"), self.name)

        self.office = OfficeChooser()
        office_box = QGroupBox(self.tr("Office"))
        QVBoxLayout(office_box).addWidget(self.office)

        self.start_at_login = QCheckBox(self.tr("Start Hallway when I log in"))
        self.start_at_login.setChecked(True)

        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setEnabled(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(self.tr("Start"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(name_form)
        layout.addWidget(office_box)
        layout.addWidget(self.start_at_login)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

        self.name.textChanged.connect(self._check)
        self.office.changed.connect(self._check)
        self._check()

    @Slot()
    def _check(self) -> None:
        problem = None if self.name.text().strip() else self.tr("Type your name.")
        problem = problem or self.office.problem()
        self.problem.setText(problem or "")
        self.ok.setEnabled(problem is None)

    def values(self) -> FirstRunValues:
        return FirstRunValues(
            name=self.name.text().strip(),
            office=self.office.choice(),
            start_at_login=self.start_at_login.isChecked(),
        )

    @Slot()
    def accept(self) -> None:
        if self.ok.isEnabled():
            super().accept()


def ask_first_run(parent: QWidget | None = None) -> FirstRunValues | None:
    """Show the dialog; the values, or None if the person cancelled."""
    dialog = FirstRunDialog(parent)
    try:
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
