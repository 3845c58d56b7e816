"""The plugin's own test set-up: kehu's testing kit and its fixtures (``kehu_store`` ...).

This folder is the plugin's project root (next to pyproject.toml), so ``kehu_anniversary``
imports from here whether or not the plugin is installed.
"""

pytest_plugins = ["kehu_core.testing"]
