// The light build of bottleneck is the one @octokit/plugin-throttling loads; importing the same
// file keeps a single copy in the bundle. It ships no types of its own; its API is the full build's.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
