"""Coherent forecasts over the region x sector hierarchy (人才需求预测的层级一致性).

Employment is observed at several levels at once: a province and its cities (GB/T 2260), a section and some of
its divisions (GB/T 4754: C and C36, C35 ...). Base forecasts made series by series do not add up, so they are
reconciled: divisions sum to their section and cities to their province.

The tables rarely list every child. A section C with divisions C36 and C35 in the data also contains the rest of
manufacturing, and a province with one city in the data also contains the other cities. Both are treated as an
implicit *remainder* node ("C~rest", "450000~rest") that has no series of its own but takes up the difference.

Method: the finest cells (leaf region or remainder) x (leaf sector or remainder) that the data can tell apart
are grouped into *atoms* (cells that belong to exactly the same observed nodes). With S the 0/1 summing matrix
(observed nodes x atoms), each forecast year and each sample path is reconciled by weighted least squares,
    b = argmin || W^(1/2) (S b - y) ||,   W = diag(1 / variance of the base forecast),
i.e. MinT with a diagonal (variance-scaled) covariance ("wls_var"), and summed back up (y~ = S b). A (year,
path) whose solution has a negative atom is solved again by non-negative least squares (scipy nnls), so
reconciled values are coherent *and* never negative, and the discrepancy is shared according to the weights
rather than simply clipped (beyond a budget of such columns - large, badly inconsistent inputs - negative atoms
are set to zero and the run's notes say so). Observed values (the base year) have tiny variance and are kept almost exactly.

Because every parent with observed children gets a remainder, the observed nodes usually determine the atoms
exactly; the weights then matter where a remainder would be negative (children forecast above their parent,
e.g. a stale province series against fresh city series) - there the less certain forecast gives way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import nnls

from features.codes import CodeTree
from features.errors import TalentcastError

REMAINDER = "~rest"


@dataclass
class Hierarchy:
    """Observed nodes, the atoms they are made of, and the summing matrix.

    Attributes:
        nodes: frame with columns region, sector (one row per observed series, in matrix row order).
        atoms: frame with columns region, sector (the most specific observed region / sector containing the
            atom; used to look up parameters), cells (list of (region_cell, sector_cell) tuples).
        summing: (n_nodes, n_atoms) 0/1 matrix; summing[i, j] = 1 when atom j is part of node i.
        region_ancestors: region code -> list of codes (itself first, then parents upward).
        sector_ancestors: sector code -> list of codes (itself first, then parents upward).
    """

    nodes: pd.DataFrame
    atoms: pd.DataFrame
    summing: np.ndarray
    region_ancestors: dict[str, list[str]]
    sector_ancestors: dict[str, list[str]]

    def node_index(self) -> dict[tuple[str, str], int]:
        """Map (region, sector) -> row of `summing`."""
        return {(r, s): i for i, (r, s) in enumerate(zip(self.nodes["region"], self.nodes["sector"]))}

    def contains(self, region: str, sector: str) -> np.ndarray:
        """Boolean mask over nodes: which observed nodes contain the (region, sector) cell."""
        regs = self.region_ancestors.get(region, [region])
        secs = self.sector_ancestors.get(sector, [sector])
        return self.nodes["region"].isin(regs).to_numpy() & self.nodes["sector"].isin(secs).to_numpy()


def _cells(codes: list[str], tree: CodeTree) -> dict[str, list[str]]:
    """Leaf cells of one dimension -> observed ancestors (codes in `codes`) containing the cell.

    A code with observed descendants gets a remainder cell "code~rest"; a code without them is its own cell.
    """
    observed = set(codes)
    observed_anc = {c: [a for a in tree.ancestors(c) if a in observed] for c in codes}
    has_children = {a for c in codes for a in observed_anc[c][1:]}
    cells: dict[str, list[str]] = {}
    for c in codes:
        cell = c + REMAINDER if c in has_children else c
        cells[cell] = observed_anc[c]
    return cells


def build_hierarchy(nodes: pd.DataFrame, regions: pd.DataFrame | None, sectors: pd.DataFrame | None) -> Hierarchy:
    """Build the atoms and summing matrix of the observed (region, sector) nodes.

    Args:
        nodes: frame with columns region, sector (each pair at most once).
        regions: regions table (code, parent) giving the region tree; None = flat.
        sectors: sectors table (code, parent) giving the sector tree; None = flat.

    Returns:
        The Hierarchy. Its `nodes` keep the order of the input rows.
    """
    nodes = nodes[["region", "sector"]].astype(str).reset_index(drop=True)
    if nodes.duplicated().any():
        dup = nodes[nodes.duplicated()].iloc[0]
        raise TalentcastError(f"employment: series {dup['region']}|{dup['sector']} appears twice",
                              f"employment：序列 {dup['region']}|{dup['sector']} 出现了两次")
    region_tree, sector_tree = CodeTree.from_table(regions), CodeTree.from_table(sectors)
    region_cells = _cells(sorted(nodes["region"].unique()), region_tree)
    sector_cells = _cells(sorted(nodes["sector"].unique()), sector_tree)
    node_rows = {(r, s): i for i, (r, s) in enumerate(zip(nodes["region"], nodes["sector"]))}
    region_depth = {c: region_tree.depth(c) for c in nodes["region"].unique()}
    sector_depth = {c: sector_tree.depth(c) for c in nodes["sector"].unique()}

    # Group cells by the exact set of nodes containing them: cells that no series can tell apart form one atom.
    patterns: dict[tuple[int, ...], list[tuple[str, str]]] = {}
    for rc, r_anc in region_cells.items():
        for sc, s_anc in sector_cells.items():
            members = tuple(sorted(node_rows[(r, s)] for r in r_anc for s in s_anc if (r, s) in node_rows))
            if members:
                patterns.setdefault(members, []).append((rc, sc))
    summing = np.zeros((len(nodes), len(patterns)))
    atom_rows = []
    for j, (members, cells) in enumerate(sorted(patterns.items())):
        summing[list(members), j] = 1.0
        member_nodes = nodes.iloc[list(members)]
        # The deepest region / sector among the containing nodes describes the atom best (parameters, labels).
        region = max(member_nodes["region"], key=lambda c: region_depth[c])
        sector = max(member_nodes["sector"], key=lambda c: sector_depth[c])
        atom_rows.append({"region": region, "sector": sector, "cells": cells})
    return Hierarchy(
        nodes=nodes,
        atoms=pd.DataFrame(atom_rows, columns=["region", "sector", "cells"]),
        summing=summing,
        region_ancestors={c: region_tree.ancestors(c) for c in set(region_tree.parents) | set(nodes["region"])},
        sector_ancestors={c: sector_tree.ancestors(c) for c in set(sector_tree.parents) | set(nodes["sector"])},
    )


def reconcile_atoms(hierarchy: Hierarchy, base: np.ndarray, variance: np.ndarray | None = None,
                    max_nnls: int | None = None, report: dict | None = None) -> np.ndarray:
    """Reconcile base values of the observed nodes into non-negative atom values.

    Args:
        hierarchy: from `build_hierarchy`.
        base: (n_nodes, n_years, n_paths) base forecasts (sample paths) of the observed nodes.
        variance: (n_nodes, n_years) forecast variance used for the weights; None = the variance across paths.
        max_nnls: most (year, path) columns solved again by non-negative least squares (default: what costs
            about as much as 1e8 / n^2 columns, n = atoms of the largest independent block (`components`), since
            one NNLS costs ~n^3: all of them for a city or a province by section); beyond that budget
            (large, badly inconsistent inputs) negative atoms are set to zero instead, which keeps the result
            coherent and non-negative but lets the parent absorb the whole discrepancy.
        report: optional dict filled with "nnls" and "clipped" column counts (for the run's notes).

    Returns:
        (n_atoms, n_years, n_paths) non-negative atom values; `aggregate(hierarchy, atoms)` gives coherent nodes.
    """
    base = np.asarray(base, dtype=float)
    if base.ndim != 3 or base.shape[0] != hierarchy.summing.shape[0]:
        raise ValueError(f"base must be (n_nodes={hierarchy.summing.shape[0]}, years, paths), got {base.shape}")
    if variance is None:
        variance = base.var(axis=2)
    scale = np.abs(base).mean(axis=2)
    # Floors keep weights finite for observed (zero-variance) values and all-zero series.
    variance = np.maximum(variance, (1e-4 * scale) ** 2 + 1e-6)
    n_nodes, n_years, n_paths = base.shape
    atoms = np.empty((hierarchy.summing.shape[1], n_years, n_paths))
    # The problem falls apart into independent blocks (atoms linked through a node they share: e.g. one block
    # per province x section when cities nest in provinces), and least squares of a block-diagonal problem -
    # with or without the non-negativity constraint - is least squares of each block: every block is solved
    # at the cost of its own size (a national run: ~600 blocks of ~10 atoms instead of one 6,000 x 6,000
    # matrix per year). The minimum-norm solution of the whole is the blocks' minimum-norm solutions.
    blocks = [(node_ids, atom_ids, hierarchy.summing[np.ix_(node_ids, atom_ids)])
              for node_ids, atom_ids in components(hierarchy.summing)]
    root_w = 1.0 / np.sqrt(variance)  # (nodes, years)
    negative_columns = []
    for t in range(n_years):
        for node_ids, atom_ids, block in blocks:
            w = root_w[node_ids, t][:, None]
            # A block is small (a province's cities + 1): its pseudo-inverse, once, times every draw is the
            # minimum-norm least-squares answer, far cheaper than a LAPACK least-squares call per block.
            atoms[atom_ids, t, :] = np.linalg.pinv(block * w) @ (base[node_ids, t, :] * w)
        solution = atoms[:, t, :]
        tolerance = -1e-9 * (1 + np.abs(solution).max(axis=0))
        negative_columns.append(np.flatnonzero((solution < tolerance).any(axis=0)))
    n_negative = sum(len(neg) for neg in negative_columns)
    largest = max((len(atom_ids) for _, atom_ids, _ in blocks), default=1)
    if max_nnls is None:
        max_nnls = max(300, int(1e8 / max(1, largest) ** 2))
    if 0 < n_negative <= max_nnls:
        # Solve those columns again with non-negative least squares (only the blocks with a negative atom):
        # the discrepancy is shared by the weights.
        for t, negative in enumerate(negative_columns):
            if not len(negative):
                continue
            tolerance = -1e-9 * (1 + np.abs(atoms[:, t, negative]).max(axis=0))
            for node_ids, atom_ids, block in blocks:
                below = atoms[np.ix_(atom_ids, [t], negative)][:, 0, :] < tolerance
                hit = negative[below.any(axis=0)]
                if not len(hit):
                    continue
                w = root_w[node_ids, t]
                lhs = block * w[:, None]
                rhs = base[np.ix_(node_ids, [t], hit)][:, 0, :] * w[:, None]
                solved_at_once, ok = _clamped_least_squares(lhs, rhs, below[:, below.any(axis=0)])
                atoms[np.ix_(atom_ids, [t], hit[ok])] = solved_at_once[:, ok][:, None, :]
                for k in hit[~ok]:
                    atoms[atom_ids, t, k] = nnls(lhs, base[node_ids, t, k] * w)[0]
    if report is not None:
        report["nnls"] = n_negative if n_negative <= max_nnls else 0
        report["clipped"] = 0 if n_negative <= max_nnls else n_negative
    return np.maximum(atoms, 0.0)


def _clamped_least_squares(lhs: np.ndarray, rhs: np.ndarray, clamp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NNLS of many right-hand sides at once, where one guess of the active set is right (the usual case).

    For each column k of `rhs`, the atoms marked in `clamp[:, k]` (negative in the unconstrained solution, e.g.
    a province's remainder when its cities sum above it) are fixed at zero and the others solved by least
    squares, all columns with the same pattern in one call. The answer is the NNLS answer when it satisfies the
    optimality (KKT) conditions: free atoms >= 0 and the gradient A'(Ax - b) >= 0 on the clamped ones (the
    problem is convex, so these conditions are sufficient). Returns (solutions, ok); columns not ok are left
    to scipy's nnls by the caller.
    """
    n_atoms, n_columns = lhs.shape[1], rhs.shape[1]
    out = np.zeros((n_atoms, n_columns))
    ok = np.zeros(n_columns, dtype=bool)
    patterns, which = np.unique(clamp.T, axis=0, return_inverse=True)
    for p, pattern in enumerate(patterns):
        cols = np.flatnonzero(which.ravel() == p)
        free = ~pattern
        solution = np.zeros((n_atoms, len(cols)))
        if free.any():
            solution[free] = np.linalg.pinv(lhs[:, free]) @ rhs[:, cols]
        gradient = lhs.T @ (lhs @ solution - rhs[:, cols])
        scale = 1e-9 * (1 + np.abs(lhs.T @ rhs[:, cols]).max(axis=0))
        good = (solution >= -1e-9 * (1 + np.abs(solution).max(axis=0))).all(axis=0) \
            & (gradient[pattern] >= -scale).all(axis=0)
        out[:, cols] = np.maximum(solution, 0.0)
        ok[cols] = good
    return out, ok


def components(summing: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Independent blocks of a summing matrix: (node rows, atom columns) of each connected component.

    Two atoms are in one block when some node contains both; nodes and atoms of different blocks never meet,
    so least squares (with or without the non-negativity constraint) can be solved block by block.
    """
    n_nodes, n_atoms = summing.shape
    parent = list(range(n_atoms))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for row in summing:
        members = np.flatnonzero(row)
        for other in members[1:]:
            ra, rb = find(int(members[0])), find(int(other))
            if ra != rb:
                parent[rb] = ra
    roots = np.array([find(a) for a in range(n_atoms)])
    out = []
    for root in np.unique(roots):
        atom_ids = np.flatnonzero(roots == root)
        node_ids = np.flatnonzero(summing[:, atom_ids].any(axis=1))
        out.append((node_ids, atom_ids))
    return out


def aggregate(hierarchy: Hierarchy, atoms: np.ndarray) -> np.ndarray:
    """Sum atom values up to the observed nodes: (n_atoms, ...) -> (n_nodes, ...)."""
    atoms = np.asarray(atoms)
    # The summing matrix is mostly zeros (each node holds a few atoms): a sparse product costs the nonzeros,
    # not nodes x atoms (a national run: 6,076 x 6,076 dense, 30,000 nonzeros).
    flat = sparse.csr_array(hierarchy.summing) @ atoms.reshape(atoms.shape[0], -1)
    return np.asarray(flat).reshape((hierarchy.summing.shape[0],) + atoms.shape[1:])


def reconcile_frame(base: pd.DataFrame, regions: pd.DataFrame | None = None,
                    sectors: pd.DataFrame | None = None, value: str = "value") -> pd.DataFrame:
    """Reconcile a long frame of point forecasts (region, sector, year, value) - a convenience for notebooks.

    Equal weights (OLS) are used because point forecasts carry no variance; the result has the same rows.
    """
    nodes = base[["region", "sector"]].drop_duplicates().reset_index(drop=True)
    hierarchy = build_hierarchy(nodes, regions, sectors)
    wide = base.pivot_table(index=["region", "sector"], columns="year", values=value, aggfunc="sum")
    wide = wide.reindex(pd.MultiIndex.from_frame(hierarchy.nodes))
    if wide.isna().any().any():
        raise TalentcastError("reconcile: every (region, sector) needs a value for every year",
                              "层级协调：每个（地区，行业）在每一年都需要有值")
    values = wide.to_numpy()[:, :, None]
    coherent = aggregate(hierarchy, reconcile_atoms(hierarchy, values, np.ones(values.shape[:2])))[:, :, 0]
    out = pd.DataFrame(coherent, index=wide.index, columns=wide.columns).stack().rename(value).reset_index()
    return out
