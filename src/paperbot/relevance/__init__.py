"""Relevance: paper embeddings, topic terms, "more like this", libraries and ratings.

Nothing here imports a chat platform; the embedding model is optional (TF-IDF stands in).
"""
