"""kehu TUI (Textual)."""
