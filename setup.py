"""Map the repository's folders to installable names (see pyproject.toml for everything else).

``plugins/`` and ``tui/`` would be generic top-level names in site-packages, so they install as
``kehu_plugins`` and ``kehu_tui``; the demo store ``records/`` ships as ``kehu_records``.
Sub-packages are found automatically, so a new plugin folder needs no edit here.
"""

from setuptools import find_packages, setup

FOLDERS = {"kehu_core": "kehu_core", "kehu_plugins": "plugins", "kehu_tui": "tui", "kehu_records": "records"}

packages = []
for name, folder in FOLDERS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=FOLDERS)
