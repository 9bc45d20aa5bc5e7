export const handler = async () => 'todo';
