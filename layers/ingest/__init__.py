"""Record and table loaders: readers per format, coordinate and date parsing, row checks with reasons."""
