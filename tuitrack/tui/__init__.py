"""The Textual app; imported only when the UI starts, so `import tuitrack` stays light."""
