package dev.berth.it.harness;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Registers the run's {@link ItEnvironment} in JUnit's root store (so JUnit closes it after the last test
 * class) and injects {@link RegistryUnderTest} (the shared registry) or {@link ItEnvironment} into test
 * constructors, lifecycle methods and test methods.
 */
public final class RegistryExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RegistryExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        environment(context);
    }

    public static ItEnvironment environment(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(ItEnvironment.class, type -> ItEnvironment.get(), ItEnvironment.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == RegistryUnderTest.class || type == ItEnvironment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        ItEnvironment environment = environment(extensionContext);
        if (parameterContext.getParameter().getType() == ItEnvironment.class) {
            return environment;
        }
        return environment.sharedRegistry();
    }
}
