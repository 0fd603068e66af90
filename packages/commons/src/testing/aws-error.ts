/** An error shaped as the AWS SDK throws them (its `name` is the service's error code). For tests. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}
