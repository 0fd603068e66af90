// Registers the aws-sdk-client-mock matchers (toReceiveCommandWith, ...) for every test file.
import 'aws-sdk-client-mock-vitest/extend';
// zod/mini's English messages for every test file, whichever runs first in a shared worker
// (a test that imports only a schema module never loads the contracts' index, which loads them).
import '@mangaassist/contracts/zod-locale';
