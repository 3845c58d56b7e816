"""kehu built-in plugin: reminders (work in progress)."""
