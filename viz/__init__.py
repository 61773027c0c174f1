"""Figures and explorers for the chapters: presentation, not numerics.

`lib` is what the lecture teaches and needs numpy only; this package draws it (matplotlib) and
lets a reader play with it (widgets). The chapters import both; `import lib` never imports this.
"""
