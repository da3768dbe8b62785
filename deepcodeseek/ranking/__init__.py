"""Learned ranking: candidates from every signal, features per (query, candidate), a per-instance LambdaRank model.

The fixed-weight fusion cannot know when votes carry information and when they are
noise; a ranker learned on the instance's own call sites can. ``graph`` holds the
knowledge-graph facts the serving path needs (extends chains, tables touched, the
caller-by-API usage matrix), ``candidates`` unions each signal's best, ``features``
describes each candidate, ``ranker`` trains and applies the LightGBM model, and
``training`` turns mined call sites into grouped training queries under the one
held-out rule. Never imports Dagster; the query path loads only numpy, scipy and LightGBM.
"""
