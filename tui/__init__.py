"""kehu TUI (Textual): ``kehu tui`` opens :class:`kehu_tui.app.KehuApp` on a store."""
