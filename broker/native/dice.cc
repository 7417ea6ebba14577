// Native Dice kernel (Node-API addon), built at install with -O3 -march=native.
//
// Same contract as the WASM and TypeScript kernels (broker/src/linkage/kernel/): Dice is
// f64(2c) / f64(pa + pb), 0 for two empty filters, compared >= t in f64 and stored as f32, so
// every backend returns bit-identical results. The caller (native-kernel.ts) computes the
// popcount-admissible ranges and bounds with the shared TypeScript code; this file only counts.
//
// Why it is faster than the plain C loop it is measured against: A rows are compared in tiles
// of up to four against each B filter (one B load serves four rows); B is laid out in blocks of
// eight filters, word-major (BSide), so with AVX-512 VPOPCNTQ a row's word, broadcast, meets word
// w of eight B filters in one vector and the eight counts build up in the lanes, pre-checked in
// one vector compare; and a row stops after three quarters of the words when the count so far
// plus the smaller popcount of the rest cannot reach the threshold (exact: the rest's common bits
// are at most that). Popcount bounds alone (here and in prune.ts), or per filter segment (the
// sum over segments of the smaller popcount), rule out almost nothing at the exact pass's Dice
// 0.6 on 28%-full CLKs: of 160,000 pairs of bench:pairs' police × council tax, 46 and 48; after
// three quarters of the words, the early exit's bound rules out 98.8% of them (docs/runs.md).
//
// Stateless and free of globals, so it is safe in any number of worker threads
// (NAPI_MODULE_INIT makes it context-aware). Every typed array is checked against the indices
// the call will touch, so a bad call throws instead of reading or writing out of bounds.
#include <node_api.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__AVX512F__) && defined(__AVX512VPOPCNTDQ__)
#include <immintrin.h>
#define DICE_AVX512 1
#endif

namespace {

// Bumped whenever an exported function's signature changes, so a stale build is refused.
constexpr uint32_t kAbiVersion = 2;
constexpr int kTile = 4;  // A rows per pass over B
// Lowered-threshold factor of the pre-check, as in the WASM kernel: far above f64 rounding,
// far below any gap between Dice values, so it only lets through pairs the exact test rejects.
constexpr double kPrecheckFactor = 1.0 - 0x1p-30;

inline double lowThreshold(double t) { return t > 0 ? t * kPrecheckFactor : -DBL_MAX; }

inline bool precheck(uint32_t c, uint32_t den, double tLow) { return 2.0 * c >= den * tLow; }

// The exact test: the one definition every backend shares.
inline bool exactScore(uint32_t c, uint32_t den, double t, float* score) {
  const double s = den == 0 ? 0.0 : (2.0 * c) / static_cast<double>(den);
  if (!(s >= t)) return false;
  *score = static_cast<float>(s);
  return true;
}

// Typed arrays are only 4-byte aligned for certain, so 64-bit words are read through memcpy
// (one plain load on every target that matters).
inline uint64_t word(const uint64_t* p, uint32_t w) {
  uint64_t x;
  std::memcpy(&x, reinterpret_cast<const unsigned char*>(p) + 8 * static_cast<size_t>(w), sizeof x);
  return x;
}

inline uint32_t andPopcount(const uint64_t* a, const uint64_t* b, uint32_t words) {
  uint32_t c = 0;
  for (uint32_t w = 0; w < words; w++) c += static_cast<uint32_t>(__builtin_popcountll(word(a, w) & word(b, w)));
  return c;
}

// One A row's place in a rows() call: its admissible B range [k0, k1), its output slot (start
// and hit count) and its filter.
struct Row {
  uint32_t index;
  uint32_t pop;
  uint32_t k0, k1;
  size_t slot;
  uint32_t hits;
  const uint64_t* filter;
};

struct RowsOut {
  uint32_t* b;
  float* score;
};

// B in popcount order, in blocks of kLanes filters, word-major inside a block: word w of sorted
// filter k is words[(k / kLanes · words + w) · kLanes + k % kLanes] (gather() lays it out; the last
// block is padded with empty filters). One vector load then holds word w of eight B filters, so a
// row is compared with eight filters by broadcasting its word w: the eight counts come out in the
// eight lanes with no horizontal reduction (which the filter-major layout needed per pair).
constexpr uint32_t kLanes = 8;

struct BSide {
  const uint64_t* words;  // B in popcount order, block-transposed (above)
  const uint32_t* pops;   // sorted popcounts
  const uint32_t* idx;    // original B index of each sorted position
  uint32_t count;         // filters in B (the padding past it is never emitted)
};

// Word 0 of sorted filter k in the block-transposed layout; its word w is kLanes words further on each.
inline const uint64_t* laneStart(const BSide& B, uint32_t k, uint32_t words) {
  return B.words + (static_cast<size_t>(k / kLanes) * words * kLanes + k % kLanes);
}

// Record a candidate of row r at sorted position k (count c) if it lies in r's own range and
// passes the exact test. Rows of a tile share the union of their ranges; the range check keeps
// each row's output exactly what a lone scan of its own range gives.
inline void emit(Row& r, uint32_t k, uint32_t c, const BSide& B, double t, RowsOut& out) {
  if (k < r.k0 || k >= r.k1) return;
  float s;
  if (!exactScore(c, r.pop + B.pops[k], t, &s)) return;
  out.b[r.slot + r.hits] = B.idx[k];
  out.score[r.slot + r.hits] = s;
  r.hits++;
}

// Portable tile: R rows against B positions [k0, k1).
template <int R>
void tileScalar(Row* rows, uint32_t k0, uint32_t k1, const BSide& B, uint32_t words, double t, RowsOut& out) {
  const double tLow = lowThreshold(t);
  for (uint32_t k = k0; k < k1; k++) {
    const uint64_t* b = laneStart(B, k, words);
    for (int r = 0; r < R; r++) {
      uint32_t c = 0;
      for (uint32_t w = 0; w < words; w++)
        c += static_cast<uint32_t>(__builtin_popcountll(word(rows[r].filter, w) & word(b, w * kLanes)));
      if (precheck(c, rows[r].pop + B.pops[k], tLow)) emit(rows[r], k, c, B, t, out);
    }
  }
}

#ifdef DICE_AVX512
// Eight vectors of eight u64 lane counts -> one vector whose lane k is the sum of v[k]'s lanes.
inline __m512i reduce8(const __m512i* v) {
  const __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[0], v[1]), _mm512_unpackhi_epi64(v[0], v[1]));
  const __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2], v[3]), _mm512_unpackhi_epi64(v[2], v[3]));
  const __m512i s45 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[4], v[5]), _mm512_unpackhi_epi64(v[4], v[5]));
  const __m512i s67 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[6], v[7]), _mm512_unpackhi_epi64(v[6], v[7]));
  const __m512i q0 = _mm512_add_epi64(_mm512_shuffle_i64x2(s01, s23, 0x88), _mm512_shuffle_i64x2(s01, s23, 0xDD));
  const __m512i q1 = _mm512_add_epi64(_mm512_shuffle_i64x2(s45, s67, 0x88), _mm512_shuffle_i64x2(s45, s67, 0xDD));
  return _mm512_add_epi64(_mm512_shuffle_i64x2(q0, q1, 0x88), _mm512_shuffle_i64x2(q0, q1, 0xDD));
}

// Lane k: which of eight (count, den) pairs pass the pre-check.
inline __mmask8 precheck8(__m512i counts, __m256i dens, double tLow) {
  const __m512d c2 = _mm512_cvtepi64_pd(_mm512_add_epi64(counts, counts));
  const __m512d lim = _mm512_mul_pd(_mm512_cvtepu32_pd(dens), _mm512_set1_pd(tLow));
  return _mm512_cmp_pd_mask(c2, lim, _CMP_GE_OQ);
}

// R rows against the blocks of eight B filters that cover positions [k0, k1): per word, one
// load of the block's word vector, then per row an AND with the row's word broadcast, a lane
// popcount and an add. W = words per filter when fixed at compile time (unrolled), 0 = any.
//
// Early exit, exact: after the first `split` words (three quarters) a pair's count c' bounds its
// full count by c' + min(|a_rest|, |b_rest|), the rest's popcounts. A row whose eight bounds all
// fail the pre-check skips the last quarter for this block. At the exact pass's Dice 0.6 on
// 28%-full CLKs, unrelated pairs score about 0.3, so most rows stop there (the popcount bound
// alone, or bounds from popcounts of filter segments, rule out almost none of them).
template <int R, int W>
void tileAvx512(Row* rows, uint32_t k0, uint32_t k1, const BSide& B, uint32_t words, double t, RowsOut& out) {
  const double tLow = lowThreshold(t);
  const uint32_t nw = W > 0 ? static_cast<uint32_t>(W) : words;
  const uint32_t split = nw - nw / 4;
  __m512i aRest[R];
  for (int r = 0; r < R; r++) {
    uint32_t p = 0;
    for (uint32_t w = split; w < nw; w++) p += static_cast<uint32_t>(__builtin_popcountll(word(rows[r].filter, w)));
    aRest[r] = _mm512_set1_epi64(p);
  }
  auto add = [&](__m512i acc, const Row& r, const uint64_t* b, uint32_t w) {
    const __m512i av = _mm512_set1_epi64(static_cast<long long>(word(r.filter, w)));
    return _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(av, _mm512_loadu_si512(b + static_cast<size_t>(w) * kLanes))));
  };
  for (uint32_t base = k0 - k0 % kLanes; base < k1; base += kLanes) {
    const uint64_t* b = laneStart(B, base, nw);
    __m512i acc[R];
    for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_si512();
    for (uint32_t w = 0; w < split; w++)
      for (int r = 0; r < R; r++) acc[r] = add(acc[r], rows[r], b, w);
    __m512i bRest = _mm512_setzero_si512();
    for (uint32_t w = split; w < nw; w++)
      bRest = _mm512_add_epi64(bRest, _mm512_popcnt_epi64(_mm512_loadu_si512(b + static_cast<size_t>(w) * kLanes)));
    // Lanes past B's end are padding: masked out, and their popcounts are not read.
    const __mmask8 inB = static_cast<__mmask8>(B.count - base >= kLanes ? 0xFF : (1u << (B.count - base)) - 1);
    const __m256i bp = _mm256_maskz_loadu_epi32(inB, B.pops + base);
    for (int r = 0; r < R; r++) {
      const __m256i dens = _mm256_add_epi32(bp, _mm256_set1_epi32(static_cast<int>(rows[r].pop)));
      if (!(inB & precheck8(_mm512_add_epi64(acc[r], _mm512_min_epu64(aRest[r], bRest)), dens, tLow))) continue;
      for (uint32_t w = split; w < nw; w++) acc[r] = add(acc[r], rows[r], b, w);
      __mmask8 pass = inB & precheck8(acc[r], dens, tLow);
      if (!pass) continue;
      alignas(64) uint64_t c[8];
      _mm512_store_si512(c, acc[r]);
      while (pass) {
        const int m = __builtin_ctz(pass);
        pass &= pass - 1;
        emit(rows[r], base + m, static_cast<uint32_t>(c[m]), B, t, out);
      }
    }
  }
}
#endif

using TileFn = void (*)(Row*, uint32_t, uint32_t, const BSide&, uint32_t, double, RowsOut&);

template <int R>
TileFn pickTile(uint32_t words) {
#ifdef DICE_AVX512
  switch (words) {
    case 8: return tileAvx512<R, 8>;
    case 16: return tileAvx512<R, 16>;
    case 32: return tileAvx512<R, 32>;
    default: return tileAvx512<R, 0>;
  }
#else
  (void)words;
  return tileScalar<R>;
#endif
}

// rows(): all admissible pairs of the given A rows. Rows are tiled in order of their ranges
// (similar popcounts share most of their B range); each row writes into its own slot, sized by
// its range, and the slots are then packed in A order.
uint32_t runRows(std::vector<Row>& rows, const BSide& B, uint32_t words, double t, uint32_t* outA, RowsOut out, size_t at) {
  std::vector<Row*> live;
  live.reserve(rows.size());
  for (Row& r : rows) if (r.k0 < r.k1) live.push_back(&r);
  std::stable_sort(live.begin(), live.end(), [](const Row* x, const Row* y) { return x->k0 != y->k0 ? x->k0 < y->k0 : x->k1 < y->k1; });
  const TileFn tiles[kTile] = {pickTile<1>(words), pickTile<2>(words), pickTile<3>(words), pickTile<4>(words)};
  Row tile[kTile];
  for (size_t p = 0; p < live.size(); p += kTile) {
    const int n = static_cast<int>(std::min<size_t>(kTile, live.size() - p));
    uint32_t k0 = UINT32_MAX, k1 = 0;
    for (int r = 0; r < n; r++) {
      tile[r] = *live[p + r];
      k0 = std::min(k0, tile[r].k0);
      k1 = std::max(k1, tile[r].k1);
    }
    tiles[n - 1](tile, k0, k1, B, words, t, out);
    for (int r = 0; r < n; r++) live[p + r]->hits = tile[r].hits;
  }
  // Pack: each slot starts at or after its packed position, so a forward move is safe.
  size_t dst = at;
  for (const Row& r : rows) {
    if (r.hits && r.slot != dst) {
      std::memmove(out.b + dst, out.b + r.slot, r.hits * sizeof(uint32_t));
      std::memmove(out.score + dst, out.score + r.slot, r.hits * sizeof(float));
    }
    std::fill(outA + dst, outA + dst + r.hits, r.index);
    dst += r.hits;
  }
  return static_cast<uint32_t>(dst - at);
}

// pairs(): an explicit candidate list, in list order. Pairs outside the popcount bounds of
// their A filter are skipped; the rest are counted eight at a time where AVX-512 is available.
uint32_t runPairs(const uint64_t* A, const uint32_t* aPops, const uint64_t* Bw, const uint32_t* bPops, const uint32_t* list,
                  uint32_t from, uint32_t to, const uint32_t* bounds, uint32_t words, double t, uint32_t* outA, uint32_t* outB,
                  float* outS, size_t at) {
  const double tLow = lowThreshold(t);
  size_t h = at;
  auto finish = [&](uint32_t i, uint32_t j, uint32_t c) {
    const uint32_t den = aPops[i] + bPops[j];
    float s;
    if (precheck(c, den, tLow) && exactScore(c, den, t, &s)) {
      outA[h] = i;
      outB[h] = j;
      outS[h] = s;
      h++;
    }
  };
  auto admissible = [&](uint32_t i, uint32_t j) { return bPops[j] >= bounds[2 * i] && bPops[j] <= bounds[2 * i + 1]; };
  uint32_t k = from;
#ifdef DICE_AVX512
  const uint32_t nv = (words + 7) / 8;
  const __mmask8 tail = static_cast<__mmask8>(words % 8 == 0 ? 0xFF : (1u << (words % 8)) - 1);
  uint32_t bi[8], bj[8];
  int n = 0;
  auto flush = [&]() {
    __m512i acc[8];
    for (int m = 0; m < 8; m++) {
      const uint64_t* a = A + static_cast<size_t>(bi[m]) * words;
      const uint64_t* b = Bw + static_cast<size_t>(bj[m]) * words;
      acc[m] = _mm512_setzero_si512();
      for (uint32_t q = 0; q < nv; q++) {
        const __mmask8 mask = q + 1 == nv ? tail : 0xFF;
        acc[m] = _mm512_add_epi64(acc[m], _mm512_popcnt_epi64(_mm512_and_si512(_mm512_maskz_loadu_epi64(mask, a + 8 * q),
                                                                                _mm512_maskz_loadu_epi64(mask, b + 8 * q))));
      }
    }
    alignas(64) uint64_t c[8];
    _mm512_store_si512(c, reduce8(acc));
    for (int m = 0; m < 8; m++) finish(bi[m], bj[m], static_cast<uint32_t>(c[m]));
    n = 0;
  };
  for (; k < to; k++) {
    const uint32_t i = list[2 * k], j = list[2 * k + 1];
    if (!admissible(i, j)) continue;
    bi[n] = i;
    bj[n] = j;
    if (++n == 8) flush();
  }
  for (int m = 0; m < n; m++) finish(bi[m], bj[m], andPopcount(A + static_cast<size_t>(bi[m]) * words, Bw + static_cast<size_t>(bj[m]) * words, words));
#else
  for (; k < to; k++) {
    const uint32_t i = list[2 * k], j = list[2 * k + 1];
    if (!admissible(i, j)) continue;
    finish(i, j, andPopcount(A + static_cast<size_t>(i) * words, Bw + static_cast<size_t>(j) * words, words));
  }
#endif
  return static_cast<uint32_t>(h - at);
}

// ---- Node-API boundary --------------------------------------------------------------------

struct Args {
  napi_env env;
  napi_value v[16];
  size_t n;
  bool failed = false;

  bool fail(const char* code, const char* msg) {
    if (!failed) napi_throw_range_error(env, code, msg);
    failed = true;
    return false;
  }

  template <typename T>
  T* array(size_t k, napi_typedarray_type want, size_t* length, const char* what) {
    bool is = false;
    if (k >= n || napi_is_typedarray(env, v[k], &is) != napi_ok || !is) {
      fail("ERR_KERNEL_ARG", what);
      return nullptr;
    }
    napi_typedarray_type type;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v[k], &type, length, &data, nullptr, nullptr) != napi_ok || type != want) {
      fail("ERR_KERNEL_ARG", what);
      return nullptr;
    }
    return static_cast<T*>(data);
  }

  uint32_t u32(size_t k, const char* what) {
    uint32_t x = 0;
    if (k >= n || napi_get_value_uint32(env, v[k], &x) != napi_ok) fail("ERR_KERNEL_ARG", what);
    return x;
  }

  double f64(size_t k, const char* what) {
    double x = 0;
    if (k >= n || napi_get_value_double(env, v[k], &x) != napi_ok) fail("ERR_KERNEL_ARG", what);
    return x;
  }
};

Args args(napi_env env, napi_callback_info info) {
  Args a{env, {}, 16};
  if (napi_get_cb_info(env, info, &a.n, a.v, nullptr, nullptr) != napi_ok) a.fail("ERR_KERNEL_ARG", "bad call");
  return a;
}

napi_value number(napi_env env, uint32_t x) {
  napi_value out;
  napi_create_uint32(env, x, &out);
  return out;
}

// rows(aWords, aPops, from, to, ranges, bWords, bPops, bIdx, words64, t, outA, outB, outS, at)
//   ranges: (k0, k1) per row in [from, to). Outputs must hold at + Σ(k1 − k0) entries.
//   Returns the number of hits written at [at, at + hits), in A order, then sorted-B order.
napi_value Rows(napi_env env, napi_callback_info info) {
  Args a = args(env, info);
  size_t aLen, aPopLen, rangeLen, bLen, bPopLen, bIdxLen, oaLen, obLen, osLen;
  auto* aWords = a.array<uint32_t>(0, napi_uint32_array, &aLen, "aWords must be a Uint32Array");
  auto* aPops = a.array<uint32_t>(1, napi_uint32_array, &aPopLen, "aPops must be a Uint32Array");
  const uint32_t from = a.u32(2, "from must be a u32"), to = a.u32(3, "to must be a u32");
  auto* ranges = a.array<uint32_t>(4, napi_uint32_array, &rangeLen, "ranges must be a Uint32Array");
  auto* bWords = a.array<uint32_t>(5, napi_uint32_array, &bLen, "bWords must be a Uint32Array");
  auto* bPops = a.array<uint32_t>(6, napi_uint32_array, &bPopLen, "bPops must be a Uint32Array");
  auto* bIdx = a.array<uint32_t>(7, napi_uint32_array, &bIdxLen, "bIdx must be a Uint32Array");
  const uint32_t words = a.u32(8, "words64 must be a u32");
  const double t = a.f64(9, "t must be a number");
  auto* outA = a.array<uint32_t>(10, napi_uint32_array, &oaLen, "outA must be a Uint32Array");
  auto* outB = a.array<uint32_t>(11, napi_uint32_array, &obLen, "outB must be a Uint32Array");
  auto* outS = a.array<float>(12, napi_float32_array, &osLen, "outS must be a Float32Array");
  const double atD = a.f64(13, "at must be a number");
  if (a.failed) return nullptr;
  const size_t w32 = static_cast<size_t>(words) * 2;
  const size_t bCount = bPopLen;
  if (words == 0 || from > to || to > aPopLen || aLen < static_cast<size_t>(to) * w32 || rangeLen < 2 * static_cast<size_t>(to - from) ||
      bLen < (bCount + kLanes - 1) / kLanes * kLanes * w32 || bIdxLen < bCount || !(atD >= 0) || atD > 9007199254740991.0) {
    a.fail("ERR_KERNEL_RANGE", "rows: array lengths do not match the rows, words64 or output offset");
    return nullptr;
  }
  const size_t at = static_cast<size_t>(atD);
  std::vector<Row> rows(to - from);
  size_t slot = at;
  for (uint32_t i = from; i < to; i++) {
    const uint32_t k0 = ranges[2 * (i - from)], k1 = ranges[2 * (i - from) + 1];
    if (k0 > k1 || k1 > bCount) {
      a.fail("ERR_KERNEL_RANGE", "rows: a row's B range is out of bounds");
      return nullptr;
    }
    rows[i - from] = Row{i, aPops[i], k0, k1, slot, 0, reinterpret_cast<const uint64_t*>(aWords) + static_cast<size_t>(i) * words};
    slot += k1 - k0;
  }
  if (slot > oaLen || slot > obLen || slot > osLen) {
    a.fail("ERR_KERNEL_RANGE", "rows: output arrays are too short for the rows' ranges");
    return nullptr;
  }
  const BSide B{reinterpret_cast<const uint64_t*>(bWords), bPops, bIdx, static_cast<uint32_t>(bCount)};
  return number(env, runRows(rows, B, words, t, outA, RowsOut{outB, outS}, at));
}

// pairs(aWords, aPops, bWords, bPops, list, from, to, bounds, words64, t, outA, outB, outS, at)
//   list: (i, j) interleaved; bounds: (min, max) admissible B popcount per A filter.
//   Outputs must hold at + (to − from) entries. Returns the hits written, in list order.
napi_value Pairs(napi_env env, napi_callback_info info) {
  Args a = args(env, info);
  size_t aLen, aPopLen, bLen, bPopLen, listLen, boundsLen, oaLen, obLen, osLen;
  auto* aWords = a.array<uint32_t>(0, napi_uint32_array, &aLen, "aWords must be a Uint32Array");
  auto* aPops = a.array<uint32_t>(1, napi_uint32_array, &aPopLen, "aPops must be a Uint32Array");
  auto* bWords = a.array<uint32_t>(2, napi_uint32_array, &bLen, "bWords must be a Uint32Array");
  auto* bPops = a.array<uint32_t>(3, napi_uint32_array, &bPopLen, "bPops must be a Uint32Array");
  auto* list = a.array<uint32_t>(4, napi_uint32_array, &listLen, "list must be a Uint32Array");
  const uint32_t from = a.u32(5, "from must be a u32"), to = a.u32(6, "to must be a u32");
  auto* bounds = a.array<uint32_t>(7, napi_uint32_array, &boundsLen, "bounds must be a Uint32Array");
  const uint32_t words = a.u32(8, "words64 must be a u32");
  const double t = a.f64(9, "t must be a number");
  auto* outA = a.array<uint32_t>(10, napi_uint32_array, &oaLen, "outA must be a Uint32Array");
  auto* outB = a.array<uint32_t>(11, napi_uint32_array, &obLen, "outB must be a Uint32Array");
  auto* outS = a.array<float>(12, napi_float32_array, &osLen, "outS must be a Float32Array");
  const double atD = a.f64(13, "at must be a number");
  if (a.failed) return nullptr;
  const size_t w32 = static_cast<size_t>(words) * 2;
  if (words == 0 || from > to || listLen < 2 * static_cast<size_t>(to) || aLen < aPopLen * w32 || bLen < bPopLen * w32 ||
      boundsLen < 2 * aPopLen || !(atD >= 0) || atD + (to - from) > static_cast<double>(std::min({oaLen, obLen, osLen}))) {
    a.fail("ERR_KERNEL_RANGE", "pairs: array lengths do not match the list, words64 or output offset");
    return nullptr;
  }
  for (uint32_t k = from; k < to; k++) {
    if (list[2 * k] >= aPopLen || list[2 * k + 1] >= bPopLen) {
      a.fail("ERR_KERNEL_RANGE", "pairs: a listed pair is out of range");
      return nullptr;
    }
  }
  return number(env, runPairs(reinterpret_cast<const uint64_t*>(aWords), aPops, reinterpret_cast<const uint64_t*>(bWords), bPops, list,
                              from, to, bounds, words, t, outA, outB, outS, static_cast<size_t>(atD)));
}

// gather(src, words64, order, dst): dst = the filters src[order[0]], src[order[1]], ... (B in
// popcount order) in the block-transposed layout of BSide; dst must hold ⌈n/8⌉·8 filters.
napi_value Gather(napi_env env, napi_callback_info info) {
  Args a = args(env, info);
  size_t srcLen, orderLen, dstLen;
  auto* src = a.array<uint32_t>(0, napi_uint32_array, &srcLen, "src must be a Uint32Array");
  const uint32_t words = a.u32(1, "words64 must be a u32");
  auto* order = a.array<uint32_t>(2, napi_uint32_array, &orderLen, "order must be a Uint32Array");
  auto* dst = a.array<uint32_t>(3, napi_uint32_array, &dstLen, "dst must be a Uint32Array");
  if (a.failed) return nullptr;
  const size_t w32 = static_cast<size_t>(words) * 2;
  const size_t padded = (orderLen + kLanes - 1) / kLanes * kLanes;
  if (words == 0 || dstLen < padded * w32) {
    a.fail("ERR_KERNEL_RANGE", "gather: dst is too short");
    return nullptr;
  }
  const size_t srcCount = srcLen / w32;
  for (size_t k = 0; k < orderLen; k++) {
    if (order[k] >= srcCount) {
      a.fail("ERR_KERNEL_RANGE", "gather: an index is out of range");
      return nullptr;
    }
  }
  for (size_t k = 0; k < padded; k++) {
    // Word w of filter k goes to u64 ((k / 8) · words + w) · 8 + k % 8; padding filters are empty.
    const uint32_t* f = k < orderLen ? src + static_cast<size_t>(order[k]) * w32 : nullptr;
    uint32_t* lane = dst + 2 * ((k / kLanes) * words * kLanes + k % kLanes);
    for (uint32_t w = 0; w < words; w++) {
      lane[2 * w * kLanes] = f ? f[2 * w] : 0;
      lane[2 * w * kLanes + 1] = f ? f[2 * w + 1] : 0;
    }
  }
  return nullptr;
}

napi_value text(napi_env env, const char* s) {
  napi_value out;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &out);
  return out;
}

#ifdef DICE_AVX512
constexpr const char* kFlavour = "avx512-vpopcntdq";
#else
constexpr const char* kFlavour = "scalar-popcount";
#endif

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"rows", nullptr, Rows, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pairs", nullptr, Pairs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"abiVersion", nullptr, nullptr, nullptr, nullptr, number(env, kAbiVersion), napi_enumerable, nullptr},
      {"flavour", nullptr, nullptr, nullptr, nullptr, text(env, kFlavour), napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
