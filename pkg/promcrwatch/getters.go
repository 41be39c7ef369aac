package promcrwatch

import (
	"errors"

	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

var errNoKey = errors.New("no such key")

// secretGetter reads Secret values from the informer cache, so a recomputation makes no API calls.
func secretGetter(l corelisters.SecretLister) promcr.SecretGetter {
	return func(namespace, name, key string) (string, error) {
		s, err := l.Secrets(namespace).Get(name)
		if err != nil {
			return "", err // promcr's message already names the Secret and key
		}
		v, ok := s.Data[key]
		if !ok {
			return "", errNoKey
		}
		return string(v), nil
	}
}

func configMapGetter(l corelisters.ConfigMapLister) promcr.ConfigMapGetter {
	return func(namespace, name, key string) (string, error) {
		cm, err := l.ConfigMaps(namespace).Get(name)
		if err != nil {
			return "", err
		}
		if v, ok := cm.Data[key]; ok {
			return v, nil
		}
		if v, ok := cm.BinaryData[key]; ok {
			return string(v), nil
		}
		return "", errNoKey
	}
}
