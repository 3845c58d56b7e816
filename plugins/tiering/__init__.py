"""kehu built-in plugin: tiering (work in progress)."""
