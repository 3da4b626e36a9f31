#!/usr/bin/env python3
"""Oracle for the deid importer (tests/tests/recipe_import.rs): pydicom deid's own recipe parser
reads a recipe and prints, on a line starting with ORACLE, the number of %header actions by
verb and of LABELs by filter list, as JSON."""
import collections
import json
import logging
import sys

logging.disable(logging.CRITICAL)
from deid.config import DeidRecipe  # noqa: E402

recipe = DeidRecipe(sys.argv[1], base=False)
verbs = collections.Counter(a["action"] for a in recipe.get_actions())
labels = {name: len(items) for name, items in (recipe.get_filters() or {}).items()}
print("ORACLE " + json.dumps({"actions": verbs, "labels": labels}))
