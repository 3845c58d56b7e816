"""kehu's built-in plugins (installed as ``kehu_plugins``). Each is a plain plugin, found
through the ``kehu`` entry-point group exactly like a third party's; copy one to start yours."""
