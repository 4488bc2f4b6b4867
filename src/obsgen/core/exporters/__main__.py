"""`python -m obsgen.core.exporters`: rewrite catalogs.json from the YAML catalogs beside it."""
from obsgen.core.exporters import HERE, json_text

(HERE / "catalogs.json").write_text(json_text(), encoding="utf-8")
print(f"wrote {HERE / 'catalogs.json'}")
