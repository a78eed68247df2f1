"""The Textual app; imported only when the UI starts, so `import tuitrack` stays light.

Models and views: the modules here (queries, run pages, rows, comparisons, chart data,
formatting) never import Textual, so the CLI's listings, plots and comparisons use them
too; the views are `screens/`, `widgets/`, `app`, `messages` and `typeahead`
(tests/tui/test_model_layer.py holds this).
"""
