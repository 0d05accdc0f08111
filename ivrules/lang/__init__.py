"""The rule language: rule text → AST (``parser``) → checked (``checker``) → compiled (``compiler``), and back
to text (``printer``). The vocabulary is the language's type environment."""
