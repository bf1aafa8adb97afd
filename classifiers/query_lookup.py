"""Features and 大类 probabilities of item queries without scikit-learn at run time.

The reference scorer's item model is a scikit-learn TF-IDF vectoriser and SGD classifier, and
its BM25 side a count vectoriser. Scoring needs only their numbers: the n-gram and word columns,
the idf weights, the coefficients. `QueryLookup` holds exactly those (arrays, saved and
memory-mapped with the model) and computes what `TfidfVectorizer.transform`,
`CountVectorizer.transform` and `SGDClassifier.predict_proba` compute, with the same float
operations in the same order, so a loaded model scores without importing scikit-learn
(seconds of a process's start). `tests/test_classify_speed_equivalence.py` checks both against
the library.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from classifiers.features import CharWordAnalyzer, NgramIndex, PackedVocabulary


class QueryLookup:
    """n-gram/word → column tables, TF-IDF weights and the linear model's coefficients."""

    def __init__(self, div_vectorizer, bm_vectorizer, div_model):
        dv, bv = div_vectorizer, bm_vectorizer
        analyzer = dv.analyzer
        # n-grams have ≤ 3 characters, "w:" + a word of ≥ 2 at least 4: the lengths tell them apart
        self.words = {f[2:]: d for f, d in dv.vocabulary_.items() if len(f) > 3 and f.startswith("w:")}
        self.tokenizer = analyzer.tokenizer
        self.div_index = NgramIndex(dv.vocabulary_)
        self.n_div = len(dv.vocabulary_)
        self.div_dtype = np.dtype(dv.dtype)
        tfidf = dv._tfidf
        self.sublinear = bool(tfidf.sublinear_tf)
        self.idf = np.asarray(tfidf.idf_) if getattr(tfidf, "use_idf", True) and hasattr(tfidf, "idf_") else None
        self.norm = tfidf.norm
        bm_vocab = PackedVocabulary(bv.vocabulary_)
        self.bm_index = NgramIndex(bm_vocab)
        self.bm_vocab = bm_vocab
        self.n_bm = len(bm_vocab)
        self.bm_dtype = np.dtype(bv.dtype)
        self.white = bv._white_spaces
        self.lower = bool(bv.lowercase)
        self.coef = np.asfortranarray(div_model.coef_)  # coef.T C-contiguous: read in place (see `_transposable_coef`)
        self.intercept = np.asarray(div_model.intercept_)
        self._bm_dict: dict[str, int] | None = None

    @staticmethod
    def applies(div_vectorizer, bm_vectorizer, div_model) -> bool:
        """Are the estimators configured as `ReferenceScorer` builds them (else use them directly)?"""
        dv, bv = div_vectorizer, bm_vectorizer
        analyzer = dv.analyzer
        tfidf = getattr(dv, "_tfidf", None)
        return (
            isinstance(analyzer, CharWordAnalyzer)
            and tuple(analyzer.ngram) == (1, 3)
            and dv.input == "content"
            and not dv.binary
            and tfidf is not None
            and tfidf.norm in ("l2", None)
            and bv.analyzer == "char"
            and tuple(bv.ngram_range) == (1, 3)
            and bv.input == "content"
            and bv.preprocessor is None
            and not bv.strip_accents
            and getattr(div_model, "loss", None) == "log_loss"
            and getattr(div_model, "coef_", np.zeros(0)).ndim == 2
            and div_model.coef_.shape[0] > 2
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_bm_dict"] = None  # rebuilt from bm_vocab when a query needs it
        return state

    def features(self, queries: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The item model's TF-IDF rows and the BM25 query rows (features present = 1.0) of queries."""
        n = len(queries)
        div_rows, div_cols = self.div_index.lookup(queries)
        bm_rows, bm_cols = self.bm_index.lookup(queries)
        word_rows: list[int] = []
        word_cols: list[int] = []
        other_rows: list[int] = []  # BM25 columns of texts the BM25 vectoriser sees otherwise
        other_cols: list[int] = []
        differs = np.zeros(n, dtype=bool)
        white, lower, words = self.white, self.lower, self.words
        cut = self.tokenizer.cut if self.tokenizer is not None else None
        for r, text in enumerate(queries):
            bm_text = white.sub(" ", text.lower() if lower else text)
            if bm_text != text:  # upper case or runs of blanks
                differs[r] = True
                bm_vocab = self._bm_vocabulary()
                size = len(bm_text)
                for k in (1, 2, 3):
                    for i in range(size - k + 1):
                        b = bm_vocab.get(bm_text[i : i + k])
                        if b is not None:
                            other_rows.append(r)
                            other_cols.append(b)
            if cut is not None and len(text) > 1:
                for w in cut(text):
                    if len(w) > 1:
                        d = words.get(w)
                        if d is not None:
                            word_rows.append(r)
                            word_cols.append(d)
        rows = np.concatenate([div_rows, np.array(word_rows, dtype=np.int64)])
        cols = np.concatenate([div_cols, np.array(word_cols, dtype=np.int64)])
        counts_m = sp.csr_matrix(
            (np.ones(len(rows), dtype=self.div_dtype), (rows, cols)), shape=(n, self.n_div)
        )  # duplicates summed: the counts
        counts_m.sum_duplicates()
        counts_m.sort_indices()
        counts_m.indices = counts_m.indices.astype(np.int32, copy=False)
        counts_m.indptr = counts_m.indptr.astype(np.int32, copy=False)
        if differs.any():
            keep = ~differs[bm_rows]
            bm_rows = np.concatenate([bm_rows[keep], np.array(other_rows, dtype=np.int64)])
            bm_cols = np.concatenate([bm_cols[keep], np.array(other_cols, dtype=np.int64)])
        q = sp.csr_matrix((np.ones(len(bm_rows), dtype=self.bm_dtype), (bm_rows, bm_cols)), shape=(n, self.n_bm))
        q.sum_duplicates()
        q.sort_indices()
        q.data[:] = 1.0
        q.indices = q.indices.astype(np.int32, copy=False)
        q.indptr = q.indptr.astype(np.int32, copy=False)
        return self._tfidf(counts_m), q

    def _bm_vocabulary(self) -> dict[str, int]:
        if self._bm_dict is None:
            self._bm_dict = self.bm_vocab.to_dict()
        return self._bm_dict

    def _tfidf(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """`TfidfTransformer.transform(X, copy=False)`: sublinear tf, idf, rows scaled to unit L2 norm
        (the norm summed in double precision in row order, as scikit-learn's Cython loop does)."""
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm == "l2" and X.nnz:
            row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            sums = np.bincount(row_of, weights=X.data * X.data, minlength=X.shape[0])  # float64, in order
            scale = np.sqrt(sums)
            scale[sums == 0.0] = 1.0  # empty rows stay as they are
            X.data = (X.data / scale[row_of]).astype(X.data.dtype)
        return X

    def division_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """`SGDClassifier(loss="log_loss").predict_proba(X)`: one-vs-rest sigmoids, normalised."""
        from scipy.special import expit

        prob = X @ self.coef.T + self.intercept
        prob = expit(prob, out=prob)
        prob_sum = prob.sum(axis=1)
        all_zero = prob_sum == 0
        if np.any(all_zero):
            prob[all_zero, :] = 1
            prob_sum[all_zero] = prob.shape[1]
        prob /= prob_sum.reshape((prob.shape[0], -1))
        return prob
