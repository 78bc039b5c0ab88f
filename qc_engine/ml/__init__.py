"""Trained classifiers: feature extraction shared by training and runtime, the linear-model
runtime (plain arrays, no pickles), and the training command."""
