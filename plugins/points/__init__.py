"""kehu built-in plugin: points (work in progress)."""
