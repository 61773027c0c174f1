"""Explorers computed in the browser (anywidget): a Python class, its ES module beside it.

- `softmax_explorer`: logits, c added to every logit, temperature and number format -> P;
- `slowdown_explorer`: gradient descent with squared error and with cross-entropy, step by step;
- `gradient_explorer`: the gradient theorem, P - y, for logits and a true class you choose.

The browser computes what each shows, so they work on the static website (from the saved
widget state) as in JupyterLab, VS Code or Colab. All three derive from `_explorer.Explorer`,
which gives them the stylesheet they share (``explorer.css``).
"""
