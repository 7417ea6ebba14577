import { OTHER_TOWNS, STREET_NAMES, STREET_SUFFIX_WEIGHTS, STREET_SUFFIXES, TOWNS, WARDS } from './name-lists.js';
import type { Address } from './model.js';
import {
  OUTWARD_FORMAT_WEIGHTS,
  OUTWARD_FORMATS,
  type OutwardFormat,
  randomOutward,
  randomPostcode,
  unitLetterPairs,
} from './postcode.js';
import { type Prng, WeightedList } from './prng.js';

/** Average delivery points per postcode unit in the UK. */
export const ADDRESSES_PER_POSTCODE = 15;
const SECTORS_PER_DISTRICT = 6;
const RESERVOIR_SIZE = 4096;

const SUFFIXES = new WeightedList(STREET_SUFFIXES, STREET_SUFFIX_WEIGHTS);

export function formatAddressLine(flat: number, houseNumber: number, street: string, town: string): string {
  return `${flat > 0 ? `Flat ${flat}, ` : ''}${houseNumber} ${street}, ${town}`;
}

/**
 * Hands out addresses street by street: each postcode unit covers ~15 consecutive addresses on a
 * street, units fill postcode sectors, sectors fill districts (one town each) and wards. Postcodes
 * are unique by construction (each sector's 400 unit letter pairs are dealt out without repeats).
 * Memory is the set of street names used plus a fixed-size reservoir of past addresses.
 */
export class AddressAllocator {
  readonly wards: readonly string[];
  private readonly postcodesPerSector: number;
  private readonly sectorsPerWard: number;
  private readonly usedOutward = new Set<string>();
  private readonly usedStreets = new Set<string>();
  private readonly reservoir: Address[] = [];
  private allocated = 0;

  private district = '';
  private town = '';
  private districtSectors: number[] = [];
  private sectorCount = 0; // sectors opened so far, across districts
  private sector = '';
  private ward = '';
  private units: string[] = [];
  private unitsLeft = 0;
  private postcode = '';
  private postcodeLeft = 0;
  private street = '';
  private streetLeft = 0;
  private houseNumber = 0;
  private numberStep = 1;
  private flatsLeft = 0;
  private flat = 0;
  private districtCount = 0;

  constructor(
    private readonly rng: Prng,
    estimatedHouseholds: number,
  ) {
    const estPostcodes = Math.max(1, Math.ceil(estimatedHouseholds / ADDRESSES_PER_POSTCODE));
    const wardCount = Math.min(WARDS.length, Math.max(3, Math.ceil(estPostcodes / 30)));
    this.wards = WARDS.slice(0, wardCount);
    this.postcodesPerSector = Math.min(300, Math.max(4, Math.round(estPostcodes / (wardCount * 4))));
    const estSectors = Math.ceil(estPostcodes / this.postcodesPerSector);
    this.sectorsPerWard = Math.max(1, Math.ceil(estSectors / wardCount));
  }

  private openDistrict(): void {
    let outward = '';
    do {
      const fmt = OUTWARD_FORMATS[this.rng.weightedIndex(OUTWARD_FORMAT_WEIGHTS)] as OutwardFormat;
      outward = randomOutward(this.rng, fmt);
    } while (this.usedOutward.has(outward));
    this.usedOutward.add(outward);
    this.district = outward;
    this.town = TOWNS[this.districtCount % TOWNS.length] as string;
    this.districtCount++;
    const digits = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
    shuffle(this.rng, digits);
    this.districtSectors = digits.slice(0, SECTORS_PER_DISTRICT);
    this.streetLeft = 0; // a new town starts a new street
  }

  private openSector(): void {
    if (this.districtSectors.length === 0) this.openDistrict();
    const digit = this.districtSectors.shift() as number;
    this.sector = `${this.district} ${digit}`;
    // Wards take sectors in blocks, round-robin, so every ward is used even if the estimate is off.
    const block = Math.max(1, Math.floor(this.sectorsPerWard / 2));
    const wardIndex = Math.floor(this.sectorCount / block) % this.wards.length;
    this.ward = this.wards[wardIndex] as string;
    this.sectorCount++;
    const pairs = unitLetterPairs();
    shuffle(this.rng, pairs);
    this.units = pairs.slice(0, this.postcodesPerSector);
    this.unitsLeft = this.units.length;
  }

  private openPostcode(): void {
    if (this.unitsLeft === 0) this.openSector();
    this.unitsLeft--;
    this.postcode = `${this.sector}${this.units[this.unitsLeft] as string}`;
    this.postcodeLeft = this.rng.range(6, 24);
  }

  private openStreet(): void {
    let name = '';
    for (let attempt = 0; ; attempt++) {
      name = `${this.rng.pick(STREET_NAMES)} ${SUFFIXES.pick(this.rng)}`;
      if (attempt > 20) name = `${name} ${attempt}`; // never loops forever on a crowded town
      if (!this.usedStreets.has(`${this.town}|${name}`)) break;
    }
    this.usedStreets.add(`${this.town}|${name}`);
    this.street = name;
    this.streetLeft = this.rng.range(12, 140);
    this.numberStep = this.rng.chance(0.5) ? 2 : 1;
    this.houseNumber = this.numberStep === 2 ? this.rng.range(0, 1) - 1 : 0;
    this.flatsLeft = 0;
  }

  next(): Address {
    if (this.postcodeLeft === 0) this.openPostcode();
    if (this.flatsLeft === 0) {
      if (this.streetLeft === 0) this.openStreet();
      this.streetLeft--;
      this.houseNumber += this.numberStep;
      // About one building in nine is converted into flats.
      if (this.rng.chance(0.11)) {
        this.flatsLeft = this.rng.range(2, 8);
        this.flat = 0;
      }
    }
    let flat = 0;
    if (this.flatsLeft > 0) {
      this.flatsLeft--;
      flat = ++this.flat;
    }
    this.postcodeLeft--;
    const address: Address = {
      line: formatAddressLine(flat, this.houseNumber, this.street, this.town),
      flat,
      houseNumber: this.houseNumber,
      street: this.street,
      town: this.town,
      postcode: this.postcode,
      ward: this.ward,
    };
    this.remember(address);
    return address;
  }

  /** Reservoir sampling keeps a uniform sample of past addresses in fixed memory. */
  private remember(address: Address): void {
    this.allocated++;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(address);
    else {
      const j = this.rng.int(this.allocated);
      if (j < RESERVOIR_SIZE) this.reservoir[j] = address;
    }
  }

  /** A previously allocated local address (someone else lives there now), or null before any. */
  pastLocalAddress(rng: Prng): Address | null {
    if (this.reservoir.length === 0) return null;
    return this.reservoir[rng.int(this.reservoir.length)] as Address;
  }

  /** An address outside the synthetic area, for people who moved in from elsewhere. */
  static elsewhere(rng: Prng): Address {
    const street = `${rng.pick(STREET_NAMES)} ${SUFFIXES.pick(rng)}`;
    const town = rng.pick(OTHER_TOWNS);
    const houseNumber = rng.range(1, 220);
    const flat = rng.chance(0.1) ? rng.range(1, 12) : 0;
    return {
      line: formatAddressLine(flat, houseNumber, street, town),
      flat,
      houseNumber,
      street,
      town,
      postcode: randomPostcode(rng),
      ward: '',
    };
  }
}

export function shuffle<T>(rng: Prng, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}
