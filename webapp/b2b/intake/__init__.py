"""Files taken in: the importer, uploads and the drop folder, the weekly cycle."""
