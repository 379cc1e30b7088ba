/**
 * Docker clean-up for tests: everything a test hub creates carries its berth.hub label, and
 * goes when the test ends.
 */
import Docker from 'dockerode';

export const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** Removes every container, volume and network labelled berth.hub=<hubName>. */
export async function removeHubObjects(hubName: string): Promise<void> {
  const filters = JSON.stringify({ label: [`berth.hub=${hubName}`] });
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

export async function containersOf(hubName: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.hub=${hubName}`] }) });
}

/** The `actions` (create, destroy...) Docker reported for this hub's containers from `since` (s) until now. */
export async function containerEvents(
  hubName: string,
  since: number,
  actions: string[],
): Promise<Array<{ Action: string; id: string }>> {
  const filters = JSON.stringify({ type: ['container'], event: actions, label: [`berth.hub=${hubName}`] });
  const stream = await docker.getEvents({ since, until: Math.ceil(Date.now() / 1000), filters });
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; id: string });
}
