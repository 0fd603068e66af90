import { MemoryProductStore } from './memory-product-store.js';
import { describeProductStore } from './product-store-behaviour.js';

describeProductStore('MemoryProductStore', () => new MemoryProductStore());
