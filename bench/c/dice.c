/*
 * Reference Dice kernel: the plain C loop the TypeScript/WASM kernel is measured against.
 *
 * Usage: dice <input.bin> <threshold> <repeats>
 * Input (little-endian): u32 words64, u32 nA, u32 nB, then nA filters, then nB filters, each
 * words64 uint64 words. Filters are compared all-pairs (no pruning): for each pair,
 * c = Σ popcount(a[w] & b[w]), Dice = 2c / (|a| + |b|) (0 when both are empty), and pairs with
 * Dice >= threshold are appended to growable output arrays (i, j, score), as our kernel does.
 * Prints one JSON line: comparisons, hits, seconds (best of <repeats>), checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t popcount_filter(const uint64_t *f, uint32_t words) {
  uint32_t c = 0;
  for (uint32_t w = 0; w < words; w++) c += (uint32_t)__builtin_popcountll(f[w]);
  return c;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <input.bin> <threshold> <repeats>\n", argv[0]);
    return 2;
  }
  FILE *fp = fopen(argv[1], "rb");
  if (!fp) { perror("open"); return 1; }
  uint32_t hdr[3];
  if (fread(hdr, 4, 3, fp) != 3) { fprintf(stderr, "short header\n"); return 1; }
  const uint32_t words = hdr[0], nA = hdr[1], nB = hdr[2];
  const double threshold = atof(argv[2]);
  const int repeats = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
  uint64_t *A = aligned_alloc(64, ((size_t)nA * words * 8 + 63) / 64 * 64);
  uint64_t *B = aligned_alloc(64, ((size_t)nB * words * 8 + 63) / 64 * 64);
  if (!A || !B) { fprintf(stderr, "out of memory\n"); return 1; }
  if (fread(A, 8, (size_t)nA * words, fp) != (size_t)nA * words ||
      fread(B, 8, (size_t)nB * words, fp) != (size_t)nB * words) {
    fprintf(stderr, "short data\n");
    return 1;
  }
  fclose(fp);

  uint32_t *popA = malloc((size_t)nA * 4), *popB = malloc((size_t)nB * 4);
  for (uint32_t i = 0; i < nA; i++) popA[i] = popcount_filter(A + (size_t)i * words, words);
  for (uint32_t j = 0; j < nB; j++) popB[j] = popcount_filter(B + (size_t)j * words, words);

  uint64_t hits = 0, cap = 0;
  uint32_t *outI = NULL, *outJ = NULL;
  float *outS = NULL;
  double checksum = 0, best = 1e300;
  for (int r = 0; r < repeats; r++) {
    free(outI); free(outJ); free(outS);
    cap = 1024;
    outI = malloc(cap * 4); outJ = malloc(cap * 4); outS = malloc(cap * 4);
    hits = 0;
    const double t0 = now();
    for (uint32_t i = 0; i < nA; i++) {
      const uint64_t *a = A + (size_t)i * words;
      const uint32_t pa = popA[i];
      for (uint32_t j = 0; j < nB; j++) {
        const uint64_t *b = B + (size_t)j * words;
        uint32_t c = 0;
        for (uint32_t w = 0; w < words; w++) c += (uint32_t)__builtin_popcountll(a[w] & b[w]);
        const uint32_t den = pa + popB[j];
        const double score = den ? 2.0 * c / den : 0.0;
        if (score >= threshold) {
          if (hits == cap) {
            cap *= 2;
            outI = realloc(outI, cap * 4); outJ = realloc(outJ, cap * 4); outS = realloc(outS, cap * 4);
            if (!outI || !outJ || !outS) { fprintf(stderr, "out of memory\n"); return 1; }
          }
          outI[hits] = i;
          outJ[hits] = j;
          outS[hits] = (float)score;
          hits++;
        }
      }
    }
    const double dt = now() - t0;
    if (dt < best) best = dt;
  }
  checksum = 0;
  for (uint64_t k = 0; k < hits; k++) checksum += outS[k];
  printf("{\"comparisons\":%llu,\"hits\":%llu,\"seconds\":%.6f,\"checksum\":%.6f}\n",
         (unsigned long long)nA * nB, (unsigned long long)hits, best, checksum);
  return 0;
}
