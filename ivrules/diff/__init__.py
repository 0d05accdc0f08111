"""Two revisions → what changed: text, rules, tariffs, and the cases that answer differently."""
