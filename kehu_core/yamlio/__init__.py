"""Reading and writing YAML the way kehu needs it.

Two loaders, one result:

* :func:`load_fast` uses PyYAML's C parser (about 20x faster than ruamel's round-trip
  loader) for scans: the index, ``kehu check``, reports. It is tuned to YAML 1.2 so it yields
  the same data as ruamel (``yes`` stays a string, duplicate keys are an error).
* :func:`load_roundtrip` / :func:`dump_roundtrip` use ruamel.yaml so that comments, key order,
  quoting and fields kehu does not know survive an edit. Only the file being edited pays for it,
  and files with errors are re-read with it to find the line of a bad field.

Every write goes through :func:`atomic_write`: temp file, fsync, rename, so a crash leaves either
the old file or the new one, never half of either.

The modules: ``files`` (a record file's bytes and text, its limits), ``reading`` (the fast
loaders), ``roundtrip`` (ruamel: editing, line numbers), ``writing`` (new files, ledger lines)
and ``atomic`` (atomic writes). The names other modules use are imported here.
"""

from __future__ import annotations

from .atomic import (
    atomic_write,
    deferred_sync,
    new_file_mode,
    place_staged,
    process_umask,
    write_staged,
)
from .files import (
    LEDGER_SUFFIX,
    MAX_FILE_BYTES,
    MAX_LEDGER_BYTES,
    YamlFileError,
    cannot_read,
    link_message,
    max_bytes,
    permission_denied_message,
    read_bytes,
    read_text,
    special_file_message,
    special_kind,
    too_many_lines,
    unlisted_folder_message,
)
from .reading import (
    FastLoader,
    lines_doc,
    load_entries,
    load_entry_line,
    load_fast,
    load_fast_text,
    load_roundtrip,
    load_roundtrip_to_edit,
    load_scan,
)
from .roundtrip import (
    as_written_like,
    dump_roundtrip,
    line_end,
    line_of,
    roundtrip_yaml,
    shared_roundtrip_yaml,
    to_plain_yaml_value,
)
from .writing import dump_flow_line, dump_new

__all__ = [
    "LEDGER_SUFFIX", "MAX_FILE_BYTES", "MAX_LEDGER_BYTES", "FastLoader", "YamlFileError", "atomic_write",
    "as_written_like", "deferred_sync", "dump_flow_line", "dump_new", "dump_roundtrip", "line_end", "line_of",
    "cannot_read", "lines_doc", "link_message", "load_entries", "load_entry_line", "load_fast", "load_fast_text",
    "load_roundtrip", "load_roundtrip_to_edit", "load_scan", "max_bytes", "too_many_lines",
    "new_file_mode", "permission_denied_message", "place_staged", "process_umask", "read_bytes", "read_text",
    "roundtrip_yaml", "shared_roundtrip_yaml",
    "special_file_message", "unlisted_folder_message", "special_kind", "to_plain_yaml_value", "write_staged",
]
