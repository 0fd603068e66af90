import { MemoryProductStore } from './memory-product-store.js';
import { describeProductStore } from './testing/product-store-behaviour.js';

describeProductStore('MemoryProductStore', () => new MemoryProductStore());
