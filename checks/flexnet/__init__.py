"""FlexNet knowledge: the message catalogue and the debug-log analyser (more modules land here)."""
