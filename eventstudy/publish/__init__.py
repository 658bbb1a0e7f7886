"""Putting a study's outputs on disk so that readers never see a partial report, and scheduled rebuilds.

``atomic`` (files and link-swapped folders with the umask's modes), ``outputs`` (the CSV, JSON and manifest files
of a report and their atomic publication), ``lock`` (the reports directory's lock), ``index`` (``index.json`` and
``index.html`` over all studies), ``rebuild`` (build one study or rebuild many, only what changed) and
``destination`` (an output directory checked before any work).
"""
